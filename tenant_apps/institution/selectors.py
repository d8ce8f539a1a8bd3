"""Reads of the institution's profile."""

from __future__ import annotations

from django.db import connection

from tenant_apps.institution.models import AdminAction, InstitutionProfile


def institution_profile() -> InstitutionProfile:
    """The current schema's profile: one query. Falls back to the tenant's name."""
    profile = InstitutionProfile.objects.filter(pk=InstitutionProfile.SINGLETON_PK).first()
    if profile is None:
        tenant = connection.tenant
        profile = InstitutionProfile(name=getattr(tenant, "name", "") or tenant.schema_name)
    return profile


def admin_actions_page(*, before: str | None, size: int) -> tuple[list[AdminAction], int | None]:
    """One keyset page of the admins' audit trail, newest first, older than entry ``before``.

    ValueError for a ``before`` that is not an entry number. One query at any depth.
    """
    actions = AdminAction.objects.select_related("actor").order_by("-id")
    if before is not None:
        position = int(before)
        if position < 1:
            raise ValueError(before)
        actions = actions.filter(id__lt=position)
    page = list(actions[: size + 1])
    more = len(page) > size
    page = page[:size]
    return page, (page[-1].id if more else None)
