from __future__ import annotations

from datetime import timedelta

from tenants.management.base import TenantCommand
from tenants.services import tenant_delete


class Command(TenantCommand):
    help = "Take an institution offline at once; its data is purged after the grace period."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument(
            "--grace-days",
            type=int,
            default=None,
            help="days it can still be restored (default TENANT_DELETE_GRACE_DAYS)",
        )

    def handle(self, *args, **options) -> None:
        days = options["grace_days"]
        if days is not None and days < 0:
            from django.core.management.base import CommandError

            raise CommandError("--grace-days cannot be negative.")
        tenant = tenant_delete(
            tenant=self.tenant(options["slug"]),
            actor=self.actor,
            grace=timedelta(days=days) if days is not None else None,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{tenant.slug} is deleted: its hosts answer 404. It can be restored with "
                f"tenant_restore until {tenant.purge_after:%Y-%m-%d %H:%M} UTC, then it is purged."
            )
        )
