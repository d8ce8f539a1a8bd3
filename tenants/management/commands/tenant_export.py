from __future__ import annotations

from pathlib import Path

from tenants.archive import tenant_export
from tenants.management.base import TenantCommand


class Command(TenantCommand):
    help = "Write an institution's schema data and blobs, with checksums, to one archive."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("file", help="the archive to write (.tar.gz)")

    def handle(self, *args, **options) -> None:
        tenant = self.tenant(options["slug"])
        tenant_export(
            tenant=tenant,
            path=Path(options["file"]),
            actor=self.actor,
            progress=lambda line: self.stdout.write(line),
        )
        self.stdout.write(self.style.SUCCESS(f"Wrote {options['file']}"))
