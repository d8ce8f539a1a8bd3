"""Reads about invitations: an inviter's own, and what an invitation is for."""

from __future__ import annotations

from django.db.models import QuerySet

from tenant_apps.content.models import ContentItem
from tenant_apps.folders.models import Folder
from tenant_apps.groups.models import Group
from tenant_apps.invitations.models import EmailInvitation, TargetKind
from tenant_apps.people.models import User


def invitations_sent(inviter: User) -> QuerySet[EmailInvitation]:
    """``inviter``'s invitations, newest first (a unique key, for keyset pages)."""
    return EmailInvitation.objects.filter(inviter=inviter).order_by("-id")


def invitation_target_title(invitation: EmailInvitation) -> str:
    """The title of what the invitation is for (shown to whoever holds its link), or ""."""
    rows = {
        TargetKind.CONTENT: ContentItem.objects.filter(deleted_at__isnull=True),
        TargetKind.GROUP: Group.objects.filter(deleted_at__isnull=True),
        TargetKind.FOLDER: Folder.objects.filter(deleted_at__isnull=True),
    }.get(invitation.kind)
    if rows is None:
        return ""
    return rows.filter(public_id=invitation.target_id).values_list("title", flat=True).first() or ""
