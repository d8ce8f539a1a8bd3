from __future__ import annotations

from datetime import timedelta

from django_tenants.utils import tenant_context

from tenant_apps.blobs.services import blob_reconcile
from tenants.management.base import TenantCommand


class Command(TenantCommand):
    help = (
        "Compare an institution's blob objects with its blob rows. Reports objects without "
        "rows and rows without objects; --repair deletes stray objects older than the grace "
        "period and unreferenced rows whose object is gone. Exits 1 when referenced bytes are lost."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--repair", action="store_true")
        parser.add_argument("--grace-hours", type=float, default=None)

    def handle(self, *args, **options) -> None:
        tenant = self.tenant(options["slug"])
        hours = options["grace_hours"]
        grace = timedelta(hours=hours) if hours is not None else None
        with tenant_context(tenant):
            report = blob_reconcile(tenant=tenant, repair=options["repair"], grace=grace)
        out = self.stdout
        out.write(f"{tenant.slug}: {len(report.objects_without_rows)} object(s) without a row")
        for sha in report.objects_without_rows:
            out.write(f"  object without row: {sha}")
        out.write(f"{tenant.slug}: {len(report.rows_without_objects)} row(s) without an object")
        for sha in report.rows_without_objects:
            out.write(f"  row without object: {sha}")
        if options["repair"]:
            out.write(
                f"repaired: removed {len(report.removed_objects)} object(s), "
                f"{len(report.removed_rows)} row(s)"
            )
        if report.lost:
            self.stderr.write(
                f"{len(report.lost)} referenced blob(s) have no object (marked missing): "
                + ", ".join(report.lost)
            )
            raise SystemExit(1)
        out.write(self.style.SUCCESS("no referenced blob is missing"))
