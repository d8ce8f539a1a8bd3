"""Reads of folders: querysets already filtered by the folders' and the content library's rules."""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from config.keyset import page_after
from tenant_apps.content.models import ContentItem
from tenant_apps.content.permissions import content_visible_to
from tenant_apps.content.selectors import for_lists as list_shape
from tenant_apps.content.selectors import without_bodies
from tenant_apps.folders.models import Folder, FolderShare
from tenant_apps.folders.permissions import folders_visible_to
from tenant_apps.groups.models import Group
from tenant_apps.people.models import User

FOLDER_ORDER = ("-created", "-id")
# A folder's items, newest addition first: the entry's id (a unique key).
ITEM_ORDER = ("-entry_id",)


def folders_of(*, viewer: User) -> QuerySet[Folder]:
    """The folders ``viewer`` is a member of themselves (made, or shared with them)."""
    mine = FolderShare.objects.filter(folder=OuterRef("pk"), user=viewer)
    return (
        folders_visible_to(viewer)
        .filter(Exists(mine))
        .select_related("created_by")
        .order_by(*FOLDER_ORDER)
    )


def folders_of_group(*, viewer, group: Group) -> QuerySet[Folder]:
    """The folders shared into ``group``'s library that ``viewer`` may see. Whether
    ``viewer`` may see the group is the caller's door."""
    shared = FolderShare.objects.filter(folder=OuterRef("pk"), group=group)
    return (
        folders_visible_to(viewer)
        .filter(Exists(shared))
        .select_related("created_by")
        .order_by(*FOLDER_ORDER)
    )


def folders_page(
    folders: QuerySet[Folder], *, after: str | None, size: int
) -> tuple[list[Folder], str | None]:
    return page_after(folders, order=FOLDER_ORDER, after=after, size=size)


def folder_items(*, viewer, folder: Folder) -> QuerySet[ContentItem]:
    """The items of ``folder`` that ``viewer`` may see (the content library's rule, in SQL),
    newest addition first, each annotated with ``entry_id`` (its place in the folder)."""
    # The library's list shape (its joins and deferred columns), in the folder's order.
    return list_shape(
        content_visible_to(viewer)
        .filter(folder_entries__folder=folder)
        .annotate(entry_id=F("folder_entries__id"))
    ).order_by(*ITEM_ORDER)


def folder_items_page(
    *, viewer, folder: Folder, after: str | None, size: int
) -> tuple[list[ContentItem], str | None]:
    """One keyset page of the folder's visible items after the item ``after`` (a public id),
    without documents' bodies (the page lists titles)."""
    items = without_bodies(folder_items(viewer=viewer, folder=folder))
    return page_after(items, order=ITEM_ORDER, after=after, size=size)


def folder_shares(folder: Folder) -> QuerySet[FolderShare]:
    return folder.shares.select_related("user", "group").order_by("-created", "-id")


def folders_holding(*, viewer, item: ContentItem) -> QuerySet[Folder]:
    """The folders ``viewer`` may see that hold ``item`` (for the item's page)."""
    return folders_visible_to(viewer).filter(Q(entries__item=item)).order_by("title", "id")
