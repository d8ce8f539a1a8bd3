"""Institutions (tenants) and the hostnames that route to them. Public schema only."""

from __future__ import annotations

import uuid

from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class TenantStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    # Read-only: reads are served, every write is refused (423 in the API).
    READ_ONLY = "read_only", "Read-only"
    SUSPENDED = "suspended", "Suspended"
    # Deletion requested: hosts answer 404 at once; purged after a grace period.
    DELETING = "deleting", "Deleting"


class Tenant(TenantMixin):
    """One institution: its own PostgreSQL schema and its own blob prefix."""

    # Stable, never reused: names the tenant's S3 prefix (tenants/<uuid>/...) and
    # survives a change of slug.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=63, unique=True)
    name = models.CharField("display name", max_length=200)
    status = models.CharField(
        max_length=16, choices=TenantStatus.choices, default=TenantStatus.ACTIVE
    )
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    @property
    def is_public(self) -> bool:
        return False

    @property
    def is_routable(self) -> bool:
        """Whether its hosts serve requests at all (a deleting tenant's answer 404)."""
        return self.status != TenantStatus.DELETING


class Domain(DomainMixin):
    """A hostname of a tenant: its subdomain of PLATFORM_DOMAIN or a custom domain."""

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain
