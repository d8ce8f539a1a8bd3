from __future__ import annotations

from tenants.management.base import TenantCommand
from tenants.selectors import tenants_for_console


class Command(TenantCommand):
    help = "List institutions with their status, domains and usage."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--search", default="", help="part of a name, slug or domain")
        parser.add_argument("--status", default="", help="active, suspended, read_only, deleting")

    def handle(self, *args, **options) -> None:
        rows = tenants_for_console(search=options["search"], status=options["status"])
        self.stdout.write(f"{'slug':<24}{'status':<11}{'people':>8}{'stored':>14}  name / domains")
        count = 0
        for tenant in rows:
            usage = getattr(tenant, "usage", None)
            domains = ", ".join(d.domain for d in tenant.domains.all())
            self.stdout.write(
                f"{tenant.slug:<24}{tenant.status:<11}{(usage.people if usage else 0):>8}"
                f"{(usage.bytes_stored if usage else 0):>14}  {tenant.name} / {domains}"
            )
            count += 1
        self.stdout.write(f"{count} institution(s)")
