from __future__ import annotations

from django.core.management.base import CommandError

from tenants.management.base import TenantCommand
from tenants.services import tenant_purge, tenant_purge_due


class Command(TenantCommand):
    help = "Purge deleted institutions whose grace period is over (or one, now, with --force)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", nargs="?")
        parser.add_argument(
            "--force",
            action="store_true",
            help="purge the named institution even inside its grace period",
        )

    def handle(self, *args, **options) -> None:
        if options["slug"]:
            tenant = self.tenant(options["slug"])
            tenant_purge(tenant=tenant, actor=self.actor, force=options["force"])
            self.stdout.write(
                self.style.SUCCESS(f"Purged {tenant.slug}: schema and blobs are gone.")
            )
            return
        if options["force"]:
            raise CommandError("--force needs the slug of one institution.")
        purged = tenant_purge_due(actor=self.actor)
        self.stdout.write(f"Purged {len(purged)} institution(s): {', '.join(purged) or '-'}")
