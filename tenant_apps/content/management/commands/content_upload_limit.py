from __future__ import annotations

from django.core.management.base import CommandError
from django_tenants.utils import tenant_context

from tenant_apps.content.services import library_settings_update
from tenants.management.base import TenantCommand


class Command(TenantCommand):
    help = "Set the largest file an institution accepts, in bytes ('default' for the setting)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("max_bytes")

    def handle(self, *args, **options) -> None:
        tenant = self.tenant(options["slug"])
        raw = options["max_bytes"].strip().lower()
        if raw == "default":
            value = None
        else:
            try:
                value = int(raw)
            except ValueError:
                raise CommandError(
                    f"'{raw}' is not a whole number of bytes (or 'default')."
                ) from None
        with tenant_context(tenant):
            library_settings_update(actor=self.actor, max_upload_bytes=value)
        shown = "the platform default" if value is None else f"{value:,} bytes"
        self.stdout.write(self.style.SUCCESS(f"{tenant.slug}: upload limit {shown}"))
