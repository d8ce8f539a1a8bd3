"""The database side of the live rooms (called from the ASGI process's worker thread).

Each function enters the institution first: the worker thread's connection is shared
by every institution the process serves.
"""

from __future__ import annotations

from django.db import connection

from tenant_apps.authoring import services
from tenant_apps.authoring.access import live_rights
from tenant_apps.content.models import ContentItem, Kind
from tenant_apps.people.models import User, Visibility


def _enter(tenant) -> None:
    connection.set_tenant(tenant)


def _writable(tenant) -> bool:
    """Whether the institution accepts writes now (a read-only or suspended one does not)."""
    from tenants.models import Tenant, TenantStatus

    status = Tenant.objects.filter(pk=tenant.pk).values_list("status", flat=True).first()
    return status == TenantStatus.ACTIVE


def presence_name(user: User) -> str:
    """The name co-editors see: the display name if every member may see it, else "Someone"."""
    if user.display_name and user.display_name_visibility in (
        Visibility.PUBLIC,
        Visibility.LOGGEDIN,
    ):
        return user.display_name[:80]
    return "Someone"


def connect_rights(tenant, user: User, public_id: str) -> tuple[int, str, str] | None:
    """(item id, "edit" or "view", presence name) for ``user`` on document ``public_id``."""
    _enter(tenant)
    item_id = (
        ContentItem.objects.filter(public_id=public_id, kind=Kind.DOCUMENT)
        .values_list("pk", flat=True)
        .first()
    )
    if item_id is None:
        return None
    rights = live_rights(user, item_id)
    if rights is None:
        return None
    if rights == "edit" and not _writable(tenant):
        rights = "view"  # a read-only institution: everyone watches
    return item_id, rights, presence_name(user)


def recheck_rights(tenant, user_id: int, item_id: int) -> str | None:
    """The rights of person ``user_id`` now (None if deactivated or no longer allowed)."""
    _enter(tenant)
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    rights = live_rights(user, item_id)
    return "view" if rights == "edit" and not _writable(tenant) else rights


def open_document(tenant, item_id: int) -> tuple[bytes, int]:
    _enter(tenant)
    return services.document_open(item_id=item_id)


def append(tenant, item_id: int, updates: list[tuple[int | None, bytes]]) -> int:
    _enter(tenant)
    return services.document_append(item_id=item_id, updates=updates)


def compact(tenant, item_id: int) -> int:
    _enter(tenant)
    return services.document_compact(item_id=item_id)


def take_revision(
    tenant, item_id: int, *, user_id: int | None = None, name: str = ""
) -> dict | None:
    """An automatic revision (or a named one by ``user_id``); its id and number, or None."""
    _enter(tenant)
    item = ContentItem.objects.filter(pk=item_id).first()
    if item is None:
        return None
    actor = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user_id and actor is None:
        return None
    revision = services.revision_take(item=item, actor=actor, name=name)
    return None if revision is None else {"id": revision.public_id, "number": revision.number}
