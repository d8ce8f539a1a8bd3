"""The content library's door: every page, endpoint and action fetches an item here."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from config.db.shapes import shapes
from tenant_apps.content.models import ContentItem
from tenant_apps.content.permissions import can_manage_q, content_visible_to
from tenant_apps.people.selectors import person_columns_deferred


def _item_read(viewer, public_id: str) -> QuerySet[ContentItem]:
    """The item ``public_id`` as ``viewer`` may see it (``.first()`` of it, as a slice)."""
    return (
        content_visible_to(viewer)
        .select_related("current_version", "current_version__blob", "created_by")
        # Never shown: a version's extracted text (unbounded), the creator's account.
        .defer("current_version__extracted_text", *person_columns_deferred("created_by"))
        .filter(public_id=public_id)
        .order_by("pk")[:1]
    )


def access_content(
    viewer, public_id: str, *, for_write: bool = False, for_edit: bool = False
) -> ContentItem:
    """The item ``public_id`` if ``viewer`` may see it (and manage it, with ``for_write``;
    change its content, with ``for_edit``).

    Http404 otherwise: missing and not allowed answer alike, so ids cannot be probed.
    """
    # The same read for every item and viewer but the two: its SQL is learned once per
    # process (config.db.shapes.rows_where), not built and compiled for every request.
    found = shapes.rows_where("content-item", viewer, public_id, _item_read)
    item = found[0] if found else None
    if (
        item is None
        or (for_write and not item.viewer_can_manage)
        or (for_edit and not item.viewer_can_edit)
    ):
        raise Http404(_("No such item."))
    return item


def access_trashed_content(viewer, public_id: str) -> ContentItem:
    """An item in the trash that ``viewer`` manages (to restore it); Http404 otherwise."""
    item = (
        ContentItem.objects.filter(public_id=public_id, deleted_at__isnull=False)
        .filter(can_manage_q(viewer))
        .first()
    )
    if item is None:
        raise Http404(_("No such item in your trash."))
    return item
