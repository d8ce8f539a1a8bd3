"""The invitations' doors: what an invitation may be for (only what the inviter manages),
and an invitation by its token or, for its inviter, by its id."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from tenant_apps.content.access import access_content
from tenant_apps.content.models import ShareRole
from tenant_apps.folders.access import access_folder
from tenant_apps.folders.models import FolderRole
from tenant_apps.groups.access import access_group
from tenant_apps.invitations.models import EmailInvitation, TargetKind


@dataclass(frozen=True)
class Target:
    kind: str
    public_id: str
    title: str
    url: str
    roles: tuple[str, ...]
    obj: object


def _target(kind: str, obj) -> Target:
    if kind == TargetKind.CONTENT:
        return Target(
            kind,
            obj.public_id,
            obj.title,
            reverse("content-item", args=[obj.public_id]),
            tuple(ShareRole.values),
            obj,
        )
    if kind == TargetKind.FOLDER:
        return Target(
            kind,
            obj.public_id,
            obj.title,
            reverse("folder", args=[obj.public_id]),
            tuple(FolderRole.values),
            obj,
        )
    return Target(
        kind,
        obj.public_id,
        obj.title,
        reverse("group-page", args=[obj.public_id]),
        ("member",),
        obj,
    )


def access_invitation_target(viewer, public_id: str) -> Target:
    """What ``viewer`` may invite someone to: an item (``c_...``), a group (``g_...``) or a
    folder (``f_...``) they manage. Http404 otherwise, like an unknown id."""
    public_id = (public_id or "")[:40]
    if public_id.startswith("c_"):
        return _target(TargetKind.CONTENT, access_content(viewer, public_id, for_write=True))
    if public_id.startswith("g_"):
        return _target(TargetKind.GROUP, access_group(viewer, public_id, for_write=True))
    if public_id.startswith("f_"):
        return _target(TargetKind.FOLDER, access_folder(viewer, public_id, for_write=True))
    raise Http404(_("No such item, group or folder."))


def access_invitation(viewer, public_id: str) -> EmailInvitation:
    """One of ``viewer``'s own invitations (they sent it); Http404 for anyone else's."""
    if not getattr(viewer, "is_authenticated", False):
        raise Http404(_("No such invitation."))
    invitation = EmailInvitation.objects.filter(inviter=viewer, public_id=public_id).first()
    if invitation is None:
        raise Http404(_("No such invitation."))
    return invitation
