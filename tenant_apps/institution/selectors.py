"""Reads of the institution's profile."""

from __future__ import annotations

from django.db import connection

from config.keyset import page_after
from config.localcache import LocalCache
from tenant_apps.institution.models import AdminAction, InstitutionProfile

# The profile is on every page (branding) and in every session restore (may local
# accounts sign in?): kept per process and schema, forgotten in every process when it
# changes (institution.receivers, and the services that write it with update()).
profile_cache: LocalCache[InstitutionProfile] = LocalCache("institution-profile", max_entries=2_000)


def institution_profile() -> InstitutionProfile:
    """The current schema's profile (a copy: changing it changes nothing else): one query
    on a cold process, none on a warm one. Falls back to the tenant's name."""
    profile = profile_cache.get(
        InstitutionProfile.SINGLETON_PK,
        lambda: InstitutionProfile.objects.filter(pk=InstitutionProfile.SINGLETON_PK).first(),
    )
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


def institution_profile_changed() -> None:
    """Forget the current schema's cached profile here now, everywhere after commit."""
    profile_cache.forget_everywhere(InstitutionProfile.SINGLETON_PK)


def admin_actions_page(*, before: str | None, size: int) -> tuple[list[AdminAction], int | None]:
    """One keyset page of the admins' audit trail, newest first, older than entry ``before``.

    Http404 for a ``before`` that is no entry's number (ValueError when it is not a number).
    """
    actions = AdminAction.objects.select_related("actor")
    return page_after(actions, order=("-id",), after=before, size=size, anchor="id")
