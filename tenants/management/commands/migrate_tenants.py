from __future__ import annotations

import gc
import os

from django.core import checks
from django.core.management.base import CommandError

from tenants.management.base import TenantCommand
from tenants.migrating import migrate_tenants


class Command(TenantCommand):
    help = (
        "Migrate the public schema, the institution template and every institution, in "
        "parallel. Institutions already at head are skipped; a failing one does not stop "
        "the others. Re-run to resume."
    )

    # The model checks only: the URL checks import every view (a second or two of a
    # command that should take seconds), and a broken URLconf stops the web tasks anyway.
    requires_system_checks = [checks.Tags.models]

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--jobs",
            type=int,
            default=min(4, os.cpu_count() or 1),
            help="institutions migrated at once (default: cores, at most 4)",
        )
        parser.add_argument(
            "--schema",
            action="append",
            default=[],
            help="only this institution schema (repeatable)",
        )
        parser.add_argument(
            "--check-every-schema",
            action="store_true",
            help=(
                "read every institution schema's own django_migrations instead of trusting "
                "the records in the public schema (after changing a schema by hand)"
            ),
        )

    def handle(self, *args, **options) -> None:
        if options["jobs"] < 1:
            raise CommandError("--jobs must be at least 1.")
        report = migrate_tenants(
            jobs=options["jobs"],
            only=options["schema"] or None,
            check_every_schema=options["check_every_schema"],
            progress=lambda line: self.stdout.write(line),
        )
        # The interpreter's last garbage collection at exit walks every object of the
        # loaded migration graph and model states (about a second): nothing it could
        # free matters to a process that is ending.
        gc.freeze()
        self.stdout.write(
            f"done in {report.seconds:.1f}s: {len(report.migrated)} migrated, "
            f"{report.skipped} already at head, {len(report.failed)} failed"
        )
        if report.failed:
            for schema, error in sorted(report.failed.items()):
                self.stderr.write(f"  {schema}: {error}")
            raise CommandError(
                f"{len(report.failed)} institution(s) failed to migrate; the others are at "
                "head. Fix the cause and run migrate_tenants again to resume."
            )
