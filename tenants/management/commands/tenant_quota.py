from __future__ import annotations

from django.core.management.base import CommandError

from tenants.management.base import TenantCommand
from tenants.services import tenant_update


def _quota(value: str | None):
    if value is None:
        return "keep"
    if value.lower() in {"none", "unlimited"}:
        return None
    try:
        number = int(value)
    except ValueError:
        raise CommandError(f"'{value}' is not a whole number (or 'none').") from None
    if number < 0:
        raise CommandError("A quota cannot be negative.")
    return number


class Command(TenantCommand):
    help = "Set an institution's quotas: --people N, --storage-bytes N ('none' lifts one)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--people")
        parser.add_argument("--storage-bytes")

    def handle(self, *args, **options) -> None:
        tenant = tenant_update(
            tenant=self.tenant(options["slug"]),
            actor=self.actor,
            quota_people=_quota(options["people"]),
            quota_storage_bytes=_quota(options["storage_bytes"]),
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{tenant.slug}: people {tenant.quota_people or 'unlimited'}, "
                f"storage {tenant.quota_storage_bytes or 'unlimited'} bytes"
            )
        )
