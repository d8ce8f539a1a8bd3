from __future__ import annotations

import secrets

from django_tenants.utils import tenant_context

from tenant_apps.people.services import user_create
from tenants.management.base import TenantCommand
from tenants.services import tenant_create


class Command(TenantCommand):
    help = "Provision an institution at <slug>.PLATFORM_DOMAIN, optionally with its first admin."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True, help="the institution's display name")
        parser.add_argument("--admin-email", help="create an admin with this e-mail address")
        parser.add_argument("--admin-username", help="the admin's username (default: from e-mail)")
        parser.add_argument(
            "--admin-name",
            default="",
            help="the admin's name as people see it (default: a placeholder the admin can change;"
            " never the username)",
        )

    def handle(self, *args, **options) -> None:
        from django.core.validators import validate_email

        email = options["admin_email"]
        if email:
            validate_email(email)
        tenant = tenant_create(slug=options["slug"], name=options["name"], actor=self.actor)
        domain = tenant.get_primary_domain().domain
        self.stdout.write(self.style.SUCCESS(f"Created {tenant.name} at {domain}"))
        if email:
            username = options["admin_username"] or email.split("@", 1)[0]
            password = secrets.token_urlsafe(12)
            with tenant_context(tenant):
                user_create(
                    username=username,
                    email=email,
                    password=password,
                    display_name=options["admin_name"],
                    is_admin=True,
                )
            self.stdout.write(f"Admin: {username} / {password}  (shown once; change it)")
