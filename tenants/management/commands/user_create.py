from __future__ import annotations

import secrets

from django.core.validators import validate_email
from django_tenants.utils import tenant_context

from tenant_apps.people.services import user_create
from tenants.management.base import TenantCommand


class Command(TenantCommand):
    help = "Create a person in an institution (an admin of it with --admin)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", help="default: a random one, printed once")
        parser.add_argument("--display-name", default="")
        parser.add_argument("--admin", action="store_true")

    def handle(self, *args, **options) -> None:
        validate_email(options["email"])
        tenant = self.tenant(options["slug"])
        password = options["password"] or secrets.token_urlsafe(12)
        with tenant_context(tenant):
            user = user_create(
                username=options["username"],
                email=options["email"],
                password=password,
                display_name=options["display_name"],
                is_admin=options["admin"],
            )
        self.stdout.write(self.style.SUCCESS(f"Created {user.public_id} in {tenant.slug}"))
        if not options["password"]:
            self.stdout.write(f"Password: {password}  (shown once)")
