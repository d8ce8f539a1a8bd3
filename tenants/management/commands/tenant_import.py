from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from tenants.archive import ArchiveError, tenant_import
from tenants.management.base import TenantCommand


class Command(TenantCommand):
    help = "Recreate an institution from an archive made by tenant_export (all or nothing)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--slug", help="import under this subdomain instead of the original")

    def handle(self, *args, **options) -> None:
        try:
            tenant = tenant_import(
                path=Path(options["file"]),
                slug=options["slug"],
                actor=self.actor,
                progress=lambda line: self.stdout.write(line),
            )
        except ArchiveError as error:
            raise CommandError(f"{error} Nothing was imported.") from None
        self.stdout.write(self.style.SUCCESS(f"Imported {tenant.name} as {tenant.slug}"))
