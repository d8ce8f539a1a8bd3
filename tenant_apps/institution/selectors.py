"""Reads of the institution's profile."""

from __future__ import annotations

from django.db import connection

from config.keyset import page_after
from tenant_apps.institution.models import AdminAction, InstitutionProfile


def institution_profile() -> InstitutionProfile:
    """The current schema's profile: one query. Falls back to the tenant's name."""
    profile = InstitutionProfile.objects.filter(pk=InstitutionProfile.SINGLETON_PK).first()
    if profile is None:
        tenant = connection.tenant
        profile = InstitutionProfile(name=getattr(tenant, "name", "") or tenant.schema_name)
    return profile


def institution_locale() -> dict[str, str]:
    """The institution's default language ("" for the browser's) and time zone, read from
    its tenant row (not the routing's cached copy: an admin may just have changed them)."""
    from tenants.models import Tenant

    row = (
        Tenant.objects.filter(pk=getattr(connection.tenant, "pk", None))
        .values("language", "time_zone")
        .first()
    )
    return row or {"language": "", "time_zone": "UTC"}


def admin_actions_page(*, before: str | None, size: int) -> tuple[list[AdminAction], int | None]:
    """One keyset page of the admins' audit trail, newest first, older than entry ``before``.

    Http404 for a ``before`` that is no entry's number (ValueError when it is not a number).
    """
    actions = AdminAction.objects.select_related("actor")
    return page_after(actions, order=("-id",), after=before, size=size, anchor="id")
