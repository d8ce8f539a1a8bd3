"""Writes about institutions: the one path for each lifecycle action."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from tenants.models import Domain, Tenant

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
RESERVED_SLUGS = frozenset(
    {
        "www",
        "admin",
        "api",
        "static",
        "media",
        "mail",
        "smtp",
        "imap",
        "pop",
        "ftp",
        "platform",
        "console",
        "status",
        "help",
        "support",
        "docs",
        "public",
        "template",
        "assets",
        "cdn",
        "auth",
        "login",
        "signup",
        "billing",
        "dashboard",
        "test",
    }
)


def schema_name_for_slug(slug: str) -> str:
    # Slugs are DNS labels (no underscores), so the mapping is one-to-one.
    return "t_" + slug.replace("-", "_")


def validate_slug(slug: str) -> None:
    """Raise ValidationError with a readable message when ``slug`` can't be a subdomain."""
    if not SLUG_PATTERN.match(slug):
        raise ValidationError(
            "Use 1 to 40 lower-case letters, digits and hyphens, starting and ending "
            "with a letter or digit.",
            code="invalid",
        )
    if slug in RESERVED_SLUGS:
        raise ValidationError(f"'{slug}' is reserved; choose another name.", code="reserved")
    if Tenant.objects.filter(slug=slug).exists():
        raise ValidationError(f"'{slug}' is already taken.", code="taken")


def tenant_create(*, slug: str, name: str) -> Tenant:
    """Provision an institution: its schema (migrated), its subdomain and its profile.

    One transaction (PostgreSQL's DDL is transactional): on any failure the
    schema, the tenant row and the domain all vanish together.
    Raises ValidationError for a bad slug or name.
    """
    from tenant_apps.institution.services import institution_profile_set

    slug = slug.strip().lower()
    name = name.strip()
    validate_slug(slug)
    if not name:
        raise ValidationError("The institution needs a name.", code="required")
    connection.set_schema_to_public()
    try:
        with transaction.atomic():
            tenant = Tenant(schema_name=schema_name_for_slug(slug), slug=slug, name=name)
            tenant.save(verbosity=0)  # creates and migrates the schema
            Domain.objects.create(
                domain=f"{slug}.{settings.PLATFORM_DOMAIN}", tenant=tenant, is_primary=True
            )
            connection.set_tenant(tenant)
            institution_profile_set(name=name)
            connection.set_schema_to_public()
    finally:
        connection.set_schema_to_public()
    return tenant
