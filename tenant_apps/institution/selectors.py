"""Reads of the institution's profile."""

from __future__ import annotations

from django.db import connection

from tenant_apps.institution.models import InstitutionProfile


def institution_profile() -> InstitutionProfile:
    """The current schema's profile: one query. Falls back to the tenant's name."""
    profile = InstitutionProfile.objects.filter(pk=InstitutionProfile.SINGLETON_PK).first()
    if profile is None:
        tenant = connection.tenant
        profile = InstitutionProfile(name=getattr(tenant, "name", "") or tenant.schema_name)
    return profile
