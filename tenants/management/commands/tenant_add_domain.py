from __future__ import annotations

from tenants.management.base import TenantCommand
from tenants.services import tenant_add_domain


class Command(TenantCommand):
    help = "Route a custom host name to an institution."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("hostname")

    def handle(self, *args, **options) -> None:
        domain = tenant_add_domain(
            tenant=self.tenant(options["slug"]), hostname=options["hostname"], actor=self.actor
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{domain.domain} now routes to {options['slug']} (point its DNS at the platform)."
            )
        )
