"""Create (once) a platform admin and the demo institution with sample people.

Running it again changes nothing and prints the same credentials, which are
kept in var/<profile>/demo-credentials.json (never in the repository).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django_tenants.utils import schema_context

from tenant_apps.people.models import User
from tenant_apps.people.services import user_create
from tenants.selectors import tenant_by_slug
from tenants.services import tenant_create

DEMO_SLUG = "demo"
DEMO_PEOPLE = [
    # username, display name, admin?
    ("demo-admin", "Ada Admin", True),
    ("alice", "Alice Archer", False),
    ("bob", "Bob Baker", False),
]


class Command(BaseCommand):
    help = "Create the platform admin and the demo institution with sample people (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--credentials-file",
            default=str(Path(settings.BASE_DIR) / "var" / "dev" / "demo-credentials.json"),
        )

    def handle(self, *args, **options) -> None:
        path = Path(options["credentials_file"])
        path.parent.mkdir(parents=True, exist_ok=True)
        credentials = json.loads(path.read_text()) if path.exists() else {}

        def password_for(key: str) -> str:
            if key not in credentials:
                credentials[key] = secrets.token_urlsafe(12)
                path.write_text(json.dumps(credentials, indent=2))
                path.chmod(0o600)
            return credentials[key]

        connection.set_schema_to_public()
        if not User.objects.filter(username="platform-admin").exists():
            user_create(
                username="platform-admin",
                email="platform-admin@example.org",
                password=password_for("platform-admin"),
                display_name="Platform Admin",
                is_admin=True,
            )
            self.stdout.write("created the platform admin")

        tenant = tenant_by_slug(DEMO_SLUG)
        if tenant is None:
            self.stdout.write("provisioning the demo institution (runs its migrations once)")
            tenant = tenant_create(slug=DEMO_SLUG, name="Demo University")
        with schema_context(tenant.schema_name):
            for username, display_name, is_admin in DEMO_PEOPLE:
                if not User.objects.filter(username=username).exists():
                    user_create(
                        username=username,
                        email=f"{username}@demo.example.org",
                        password=password_for(f"demo:{username}"),
                        display_name=display_name,
                        is_admin=is_admin,
                    )

        domain = settings.PLATFORM_DOMAIN
        self.stdout.write(self.style.SUCCESS("Demo credentials (local development only):"))
        self.stdout.write(
            f"  platform admin  on {domain}: platform-admin / {password_for('platform-admin')}"
        )
        for username, _display, _admin in DEMO_PEOPLE:
            self.stdout.write(
                f"  {DEMO_SLUG}.{domain}: {username} / {password_for(f'demo:{username}')}"
            )
