from __future__ import annotations

from tenants.management.base import TenantCommand
from tenants.services import tenant_restore


class Command(TenantCommand):
    help = tenant_restore.__doc__.splitlines()[0]

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")

    def handle(self, *args, **options) -> None:
        tenant = tenant_restore(tenant=self.tenant(options["slug"]), actor=self.actor)
        self.stdout.write(self.style.SUCCESS(f"{tenant.slug} is now {tenant.get_status_display()}"))
