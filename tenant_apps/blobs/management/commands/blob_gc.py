from __future__ import annotations

from datetime import timedelta

from django_tenants.utils import tenant_context

from tenant_apps.blobs.services import blob_collect_garbage
from tenants.management.base import TenantCommand


class Command(TenantCommand):
    help = "Delete an institution's blobs that nothing has referenced for the grace period."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument(
            "--grace-hours", type=float, default=None, help="default: BLOB_GC_GRACE_HOURS"
        )

    def handle(self, *args, **options) -> None:
        tenant = self.tenant(options["slug"])
        hours = options["grace_hours"]
        grace = timedelta(hours=hours) if hours is not None else None
        with tenant_context(tenant):
            removed = blob_collect_garbage(tenant=tenant, grace=grace)
        self.stdout.write(self.style.SUCCESS(f"{tenant.slug}: removed {removed} blob(s)"))
