from __future__ import annotations

from tenants.management.base import TenantCommand
from tenants.services import tenant_suspend


class Command(TenantCommand):
    help = tenant_suspend.__doc__.splitlines()[0]

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")

    def handle(self, *args, **options) -> None:
        tenant = tenant_suspend(tenant=self.tenant(options["slug"]), actor=self.actor)
        self.stdout.write(self.style.SUCCESS(f"{tenant.slug} is now {tenant.get_status_display()}"))
