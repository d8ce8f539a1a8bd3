"""Reads of the content library: querysets already filtered by the permission rule."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from config.db.prepared import planned_for_values
from config.db.shapes import shapes
from config.keyset import page_after
from tenant_apps.content.models import (
    Comment,
    ContentItem,
    ContentVersion,
    LinkPreview,
    PreviewPage,
    Share,
)
from tenant_apps.content.permissions import can_view_q, content_visible_to
from tenant_apps.groups.models import Group
from tenant_apps.people.models import User
from tenant_apps.people.selectors import (
    SUMMARY_VALUES,
    person_columns_deferred,
    summary_of_columns,
    summary_rule,
)

LIST_ORDER = ("-created", "-id")
# Never shown by a list or an item's page: a version's extracted text has no size bound.
UNSHOWN = ("current_version__extracted_text",)


def _tagged(items: QuerySet[ContentItem], tag: str) -> QuerySet[ContentItem]:
    """``items`` with ``tag``, planned for the tag every time, never as a prepared statement:
    a generic plan made for one kind of tag reads far too much for the other (measured on
    200,000 items: an institution-wide list of a rare tag walked the date order for 71 ms
    instead of 0.5 ms through the tags index; one person's library with a common tag read
    the tags index for 156 ms instead of 0.07 ms; README, "Prepared statements")."""
    return planned_for_values(items.filter(tags__contains=[tag.lower()]))


def for_lists(items: QuerySet[ContentItem]) -> QuerySet[ContentItem]:
    """``items`` as the lists show them (joins, deferred columns), newest first."""
    # The API's lists show a document's body; the HTML lists add ``without_bodies``.
    return (
        items.select_related("current_version", "created_by", "link_preview")
        .defer(*UNSHOWN, *person_columns_deferred("created_by"))
        .order_by(*LIST_ORDER)
    )


# What the API shows of an item in a list (``api.item_output``), as ``.values()`` names:
# the item's columns and permission flags, its creator's summary columns, its current
# version's and its link preview's shown columns - nothing else (no search vector, no
# processing state, no blob ids but the two whose presence is shown).
LISTED = (
    "public_id",
    "kind",
    "title",
    "description",
    "tags",
    "visibility",
    "created",
    "modified",
    "url",
    "body_html",
    "viewer_can_edit",
    "viewer_can_manage",
    *(f"created_by__{column}" for column in SUMMARY_VALUES),
    "current_version__public_id",
    "current_version__filename",
    "current_version__mime_type",
    "current_version__size",
    "current_version__preview_status",
    "current_version__preview_blob_id",
    "current_version__page_count",
    "current_version__pages_rendered",
    "current_version__media_duration",
    "link_preview__status",
    "link_preview__title",
    "link_preview__description",
    "link_preview__site_name",
    "link_preview__image_blob_id",
)


def listed(items: QuerySet[ContentItem]) -> QuerySet[dict]:
    """``items`` (from a list selector: ``content_library``, ...) as dicts of ``LISTED``:
    the API's lists make no model objects (an item with its creator, version and link
    preview were four per row, most of such a list's Python), and read only what they
    show."""
    return items.values(*LISTED)


def without_bodies(items: QuerySet[ContentItem]) -> QuerySet[ContentItem]:
    """``items`` without documents' bodies (unbounded HTML), for pages that list titles."""
    return items.defer("body_html")


def content_library(*, viewer: User, tag: str = "") -> QuerySet[ContentItem]:
    """The items ``viewer`` created, newest first."""
    items = content_visible_to(viewer).filter(created_by=viewer)
    if tag:
        items = _tagged(items, tag)
    return for_lists(items)


def for_titles(items: QuerySet[ContentItem]) -> QuerySet[ContentItem]:
    """``items`` as a short list of titles shows them (the dashboard's rows: kind, title,
    the current version's size), newest first: no bodies, no permission flags, no creator.
    The ORM builds this in a fraction of ``for_lists``'s time (its three joins with their
    deferred columns, and the two permission flags, cost more to compile than to run)."""
    return (
        items.select_related("current_version").defer("body_html", *UNSHOWN).order_by(*LIST_ORDER)
    )


def content_recent_of(*, viewer: User) -> QuerySet[ContentItem]:
    """The items ``viewer`` created that they may see (not in the trash), as titles."""
    return for_titles(ContentItem.objects.filter(can_view_q(viewer), created_by=viewer))


def content_recent_shared_with(*, viewer: User) -> QuerySet[ContentItem]:
    """``content_shared_with``'s items as titles (without the permission flags)."""
    items = ContentItem.objects.filter(can_view_q(viewer)).filter(pk__in=_shared_ids(viewer))
    return for_titles(items.filter(_not_created_by(viewer)))


def _shared_ids(viewer: User) -> QuerySet:
    """Ids of the items shared with ``viewer`` or their groups (a union of two index reads)."""
    direct = Share.objects.filter(user=viewer).values("item_id")
    via_group = Share.objects.filter(group__memberships__user=viewer).values("item_id")
    return direct.union(via_group)


def _not_created_by(viewer: User) -> Q:
    return ~Q(created_by=viewer) | Q(created_by__isnull=True)


def content_shared_with(*, viewer: User, tag: str = "") -> QuerySet[ContentItem]:
    """Items shared with ``viewer`` or their groups that someone else created.

    Driven from the viewer's shares (a union of item ids: theirs and their groups'), not
    from the items: an EXISTS per item made a page walk the whole institution's items,
    newest first, when the viewer has few shares (the dashboard of someone with nothing
    shared read all 100,000 items of the activity bench's large institution). The cost is
    now that of the viewer's own shares, whatever the institution holds."""
    items = (
        content_visible_to(viewer)
        .filter(pk__in=_shared_ids(viewer))
        .filter(_not_created_by(viewer))
    )
    if tag:
        items = _tagged(items, tag)
    return for_lists(items)


def content_of_group(*, viewer, group: Group, tag: str = "") -> QuerySet[ContentItem]:
    """The group's library: items shared with ``group`` that ``viewer`` may see, newest first.

    The permission rule decides as everywhere else: members see what is shared with
    the group; anyone else sees only those of its items they may see anyway (public,
    signed-in, or shared with them). Whether ``viewer`` may see the group itself is
    the caller's check (``groups_visible_to``).
    """
    same_item = Q(item=OuterRef("pk")) & Q(item__gte=OuterRef("pk"))  # see permissions
    items = content_visible_to(viewer).filter(Exists(Share.objects.filter(same_item, group=group)))
    if tag:
        items = _tagged(items, tag)
    return for_lists(items)


def versions_of(item: ContentItem) -> QuerySet[ContentVersion]:
    return (
        item.versions.select_related("blob", "created_by")
        .defer("extracted_text", *person_columns_deferred("created_by"))
        .order_by("-number", "-id")
    )


def versions_listed(item: ContentItem) -> QuerySet[ContentVersion]:
    """``item``'s versions, newest first, with only what the item page's table shows (number,
    file name, size, date, the restore button's id): no blob, no uploader, no extracted text."""
    return item.versions.only(
        "id", "item_id", "public_id", "number", "filename", "size", "created"
    ).order_by("-number", "-id")


def version_of(item: ContentItem, public_id: str) -> ContentVersion | None:
    return item.versions.select_related("blob").filter(public_id=public_id).first()


def preview_pages_of(version: ContentVersion) -> QuerySet[PreviewPage]:
    """A version's page images in page order (at most CONTENT_PREVIEW_MAX_PAGES)."""
    return version.preview_pages.order_by("number")


def preview_page_of(version: ContentVersion, number: int) -> PreviewPage | None:
    return version.preview_pages.select_related("blob").filter(number=number).first()


def link_preview_of(item: ContentItem) -> LinkPreview | None:
    """A link's preview (title, description, image), if it has one."""
    return LinkPreview.objects.select_related("image_blob").filter(item=item).first()


def shares_of(item: ContentItem) -> QuerySet[Share]:
    return (
        item.shares.select_related("user", "group", "shared_by")
        .defer(*person_columns_deferred("user"), *person_columns_deferred("shared_by"))
        .order_by("-shared", "-id")
    )


def share_of(item: ContentItem, principal: User | Group) -> Share | None:
    """``item``'s share with ``principal`` (a person or a group), if there is one."""
    if isinstance(principal, Group):
        return item.shares.filter(group=principal).first()
    return item.shares.filter(user=principal).first()


def sharers_for(viewer: User, item_ids: list[int]) -> dict[int, User | None]:
    """Who shared each of ``item_ids`` with ``viewer`` (one query): the sharer of the share to
    them, else of the newest share to one of their groups. An item shared by no one known
    (the column is newer than the share, or the sharer's account is gone) maps to None;
    an item not shared with them is absent."""
    if not item_ids or not getattr(viewer, "is_authenticated", False):
        return {}
    shares = (
        Share.objects.filter(item_id__in=item_ids)
        .filter(Q(user=viewer) | Q(group__memberships__user=viewer))
        .select_related("shared_by")
        .defer(*person_columns_deferred("shared_by"))
        .order_by("item_id", "-shared", "-id")
    )
    sharers: dict[int, User | None] = {}
    direct: set[int] = set()
    for share in shares:
        if share.user_id == viewer.pk:
            if share.item_id not in direct:
                sharers[share.item_id] = share.shared_by
                direct.add(share.item_id)
        elif share.item_id not in sharers:
            sharers[share.item_id] = share.shared_by
    return sharers


def comments_of(item: ContentItem) -> QuerySet[Comment]:
    return (
        item.comments.select_related("author", "parent")
        .defer("parent__body_html", *person_columns_deferred("author"))
        .order_by("created", "id")
    )


# The item page's lists of one item's rows: the same query for every item but its id, so
# their SQL is learned once per process (config.db.shapes.rows_of: built and compiled for
# the item and a stand-in item, kept only when the id is all that differs) - building and
# compiling them (``select_related`` with deferred user columns) cost the page more than
# running them.
# What the item page shows of a comment, read as columns (no model objects).
COMMENT_VALUES = (
    "public_id",
    "created",
    "body_html",
    "author_id",
    "parent__public_id",
    *(f"author__{column}" for column in SUMMARY_VALUES),
)


def comments_shown(item: ContentItem, limit: int) -> list[dict]:
    """``comments_of(item)[:limit]`` as rows of ``COMMENT_VALUES``."""
    return shapes.rows_of(
        ("item-comments", limit),
        item,
        lambda it: it.comments.order_by("created", "id").values(*COMMENT_VALUES)[:limit],
    )


# What the item page shows of a share, read as columns (no model objects).
SHARE_VALUES = (
    "user_id",
    "group_id",
    "role",
    "shared",
    "group__public_id",
    "group__title",
    "shared_by_id",
    *(f"user__{column}" for column in SUMMARY_VALUES),
    *(f"shared_by__{column}" for column in SUMMARY_VALUES),
)


def shares_shown(item: ContentItem, limit: int) -> list[dict]:
    """``shares_of(item)[:limit]`` as rows of ``SHARE_VALUES``."""
    return shapes.rows_of(
        ("item-shares", limit),
        item,
        lambda it: it.shares.order_by("-shared", "-id").values(*SHARE_VALUES)[:limit],
    )


def person_ref_of_columns(viewer, row: dict, relation: str, rule=None) -> dict | None:
    """``person_ref`` of the person ``row`` names under ``relation`` (its
    ``SUMMARY_VALUES`` columns read with ``.values()``), None when there is none. ``rule``:
    ``summary_rule(viewer)``, worked out once for many rows."""
    if row[f"{relation}__id"] is None:
        return None
    summary = (rule or summary_rule(viewer))(
        pk=row[f"{relation}__id"],
        public_id=row[f"{relation}__public_id"],
        display_name=row[f"{relation}__display_name"],
        display_name_visibility=row[f"{relation}__display_name_visibility"],
    )
    return {"id": summary["id"], "display_name": summary.get("display_name", "")}


# What the item page's versions table shows of a version, read as columns.
VERSION_VALUES = ("id", "number", "public_id", "filename", "size", "created")


def versions_shown(item: ContentItem, limit: int) -> list[dict]:
    """``versions_listed(item)[:limit]`` as rows of ``VERSION_VALUES``."""
    return shapes.rows_of(
        ("item-versions", limit),
        item,
        lambda it: versions_listed(it).values(*VERSION_VALUES)[:limit],
    )


def comment_of(item: ContentItem, public_id: str) -> Comment | None:
    return item.comments.select_related("author", "item").filter(public_id=public_id).first()


def person_ref(viewer, person: User | None) -> dict | None:
    """A creator or author as ``viewer`` may see them (None for a removed account): the
    people app's summary, with an empty display name when it is hidden."""
    if person is None:
        return None
    # person_summary's rule, reading only the name's columns (an item page asks ~30 times).
    summary = summary_of_columns(
        viewer,
        pk=person.pk,
        public_id=person.public_id,
        display_name=person.display_name,
        display_name_visibility=person.display_name_visibility,
    )
    return {"id": summary["id"], "display_name": summary.get("display_name", "")}


def items_page(
    items: QuerySet[ContentItem], *, after: str | None, size: int
) -> tuple[list[ContentItem], str | None]:
    """One keyset page of ``items`` (newest first) after the item ``after`` (a public id)."""
    return page_after(items, order=LIST_ORDER, after=after, size=size)


def content_by(*, viewer, person: User) -> QuerySet[ContentItem]:
    """The items ``person`` created that ``viewer`` may see (their profile's Library tab)."""
    return for_lists(content_visible_to(viewer).filter(created_by=person))
