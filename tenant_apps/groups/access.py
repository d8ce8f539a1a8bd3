"""The groups' door: every page and endpoint under a group fetches it here."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

from tenant_apps.groups.models import Group, Role
from tenant_apps.groups.selectors import groups_visible_to, is_manager


def access_group(viewer, public_id: str, *, for_write: bool = False) -> Group:
    """The group, if ``viewer`` may see it (and manages it, with ``for_write``).

    Http404 otherwise: missing and not allowed look the same. Managers' actions on a
    group the viewer can see refuse with PermissionDenied in the services instead;
    ``for_write`` is for the managers' own lists (requests, invitations), which a
    non-manager must not learn about at all.
    """
    group = groups_visible_to(viewer).filter(public_id=public_id).first()
    if group is None or (for_write and not is_manager(group, viewer)):
        raise Http404(_("No such group."))
    return group


def access_trashed_group(viewer, public_id: str) -> Group:
    """A group in the trash that ``viewer`` manages (to restore it); Http404 otherwise."""
    group = (
        Group.objects.filter(public_id=public_id, deleted_at__isnull=False)
        .filter(memberships__user=viewer, memberships__role=Role.MANAGER)
        .first()
        if getattr(viewer, "is_authenticated", False)
        else None
    )
    if group is None:
        raise Http404(_("No such group in your trash."))
    return group
