"""Reads of the trash: what a person may restore, newest deletion first, and when it goes.

The trash gathers three kinds (content items, folders and groups), each by its own
app's managers' rule; one page reads at most ``size + 1`` rows of each kind, so a page
costs three queries whatever the trash holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from config.keyset import cursor_decode, cursor_encode
from tenant_apps.content.models import ContentItem
from tenant_apps.content.permissions import can_manage_q
from tenant_apps.folders.models import Folder
from tenant_apps.folders.permissions import can_manage_folder_q
from tenant_apps.groups.models import Group, Role
from tenant_apps.institution.models import InstitutionProfile

DEFAULT_TRASH_DAYS = 30
# Ties on the deletion time are broken by kind, then by row: a total order for cursors.
KINDS = ("content", "folder", "group")


def trash_days() -> int:
    """How many days the institution keeps deleted things restorable."""
    days = (
        InstitutionProfile.objects.filter(pk=InstitutionProfile.SINGLETON_PK)
        .values_list("trash_days", flat=True)
        .first()
    )
    return days or DEFAULT_TRASH_DAYS


@dataclass
class TrashEntry:
    kind: str
    obj: ContentItem | Folder | Group
    deleted_at: datetime
    purge_at: datetime

    @property
    def public_id(self) -> str:
        return self.obj.public_id

    @property
    def title(self) -> str:
        return self.obj.title


def _trashed(viewer) -> dict[str, QuerySet]:
    signed_in = bool(getattr(viewer, "is_authenticated", False) and viewer.is_active)
    if not signed_in:
        return {
            kind: model.objects.none()
            for kind, model in zip(KINDS, (ContentItem, Folder, Group), strict=True)
        }
    return {
        "content": ContentItem.objects.filter(deleted_at__isnull=False).filter(
            can_manage_q(viewer)
        ),
        "folder": Folder.objects.filter(deleted_at__isnull=False).filter(
            can_manage_folder_q(viewer)
        ),
        "group": Group.objects.filter(
            deleted_at__isnull=False, memberships__user=viewer, memberships__role=Role.MANAGER
        ),
    }


def _before(kind: str, when: datetime, rank: int, pk: int) -> Q:
    """Rows of ``kind`` after the cursor (when, rank, pk) in the order deleted_at desc,
    kind rank desc, pk desc."""
    mine = KINDS.index(kind)
    same_time = Q(deleted_at=when) & (Q(pk__lt=pk) if mine == rank else Q(pk__gte=0))
    if mine > rank:
        same_time = Q(pk__in=[])
    return Q(deleted_at__lt=when) | same_time


def trash_page(*, viewer, cursor: str | None, size: int) -> tuple[list[TrashEntry], str | None]:
    """One page of what ``viewer`` may restore, newest deletion first, and the next cursor.

    A cursor that does not parse starts from the first page.
    """
    decoded = cursor_decode(cursor, "datetime") if cursor else None
    days = timedelta(days=trash_days())
    rows: list[tuple[datetime, int, int, object]] = []
    for rank, (kind, queryset) in enumerate(_trashed(viewer).items()):
        if decoded is not None:
            when, key, _back = decoded
            queryset = queryset.filter(
                _before(kind, when, key // 1_000_000_000_000, key % 1_000_000_000_000)
            )
        for obj in queryset.order_by("-deleted_at", "-pk")[: size + 1]:
            rows.append((obj.deleted_at, rank, obj.pk, obj))
    rows.sort(key=lambda row: (row[0], row[1], row[2]), reverse=True)
    page = rows[:size]
    entries = [
        TrashEntry(kind=KINDS[rank], obj=obj, deleted_at=when, purge_at=when + days)
        for when, rank, _pk, obj in page
    ]
    if len(rows) <= size:
        return entries, None
    when, rank, pk, _obj = page[-1]
    return entries, cursor_encode(when, rank * 1_000_000_000_000 + pk)


def purge_due(model) -> QuerySet:
    """Rows of ``model`` (ContentItem, Folder or Group) in the trash past the period."""
    from django.utils import timezone

    cutoff = timezone.now() - timedelta(days=trash_days())
    return model.objects.filter(deleted_at__isnull=False, deleted_at__lt=cutoff).order_by("pk")


def trash_preview(obj: ContentItem | Folder | Group) -> list[str]:
    """What moving ``obj`` to the trash takes away, in sentences for its confirmation page."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    days = trash_days()
    lines: list[str] = []
    if isinstance(obj, ContentItem):
        people = obj.shares.filter(user__isnull=False).exclude(user=obj.created_by).count()
        groups = obj.shares.filter(group__isnull=False).count()
        folders = obj.folder_entries.count()
        lines.append(
            ngettext(
                "It is shared with %(n)d person, who will no longer see it.",
                "It is shared with %(n)d people, who will no longer see it.",
                people,
            )
            % {"n": people}
        )
        lines.append(
            ngettext(
                "It leaves the library of %(n)d group.",
                "It leaves the libraries of %(n)d groups.",
                groups,
            )
            % {"n": groups}
        )
        lines.append(
            ngettext(
                "It disappears from %(n)d folder.", "It disappears from %(n)d folders.", folders
            )
            % {"n": folders}
        )
        versions, comments = obj.versions.count(), obj.comments.count()
        lines.append(
            _("Its %(v)d versions and %(c)d comments go with it.") % {"v": versions, "c": comments}
        )
    elif isinstance(obj, Folder):
        entries = obj.entries.count()
        members = obj.shares.count()
        lines.append(
            ngettext(
                "It holds %(n)d item; the items themselves stay where they are.",
                "It holds %(n)d items; the items themselves stay where they are.",
                entries,
            )
            % {"n": entries}
        )
        lines.append(
            ngettext(
                "%(n)d member (a person or a group library) will no longer see it.",
                "%(n)d members (people or group libraries) will no longer see it.",
                members,
            )
            % {"n": members}
        )
    else:
        members = obj.memberships.count()
        items = obj.content_shares.count()
        folders = obj.folder_shares.count()
        lines.append(
            ngettext(
                "Its %(n)d member loses the group and what it shares with them.",
                "Its %(n)d members lose the group and what it shares with them.",
                members,
            )
            % {"n": members}
        )
        lines.append(
            ngettext(
                "%(n)d item in its library leaves it (items stay with the people who own them).",
                "%(n)d items in its library leave it (items stay with the people who own them).",
                items,
            )
            % {"n": items}
        )
        lines.append(
            ngettext(
                "%(n)d folder leaves its library.", "%(n)d folders leave its library.", folders
            )
            % {"n": folders}
        )
    lines.append(
        ngettext(
            "It stays in the trash for %(n)d day, restorable by its managers, then is deleted "
            "for good.",
            "It stays in the trash for %(n)d days, restorable by its managers, then is deleted "
            "for good.",
            days,
        )
        % {"n": days}
    )
    return lines
