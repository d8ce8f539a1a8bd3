"""The doors of documents: a document and a revision, fetched for a person."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

from tenant_apps.authoring.models import Revision
from tenant_apps.content.access import access_content
from tenant_apps.content.models import ContentItem, Kind


def access_document(viewer, public_id: str, *, for_edit: bool = False) -> ContentItem:
    """The document ``public_id`` if ``viewer`` may see it (and change it, with ``for_edit``).

    Http404 otherwise, and for items that are not documents.
    """
    item = access_content(viewer, public_id, for_edit=for_edit)
    if item.kind != Kind.DOCUMENT:
        raise Http404(_("No such document."))
    return item


def access_revision(viewer, item: ContentItem, public_id: str) -> Revision:
    """Revision ``public_id`` of ``item`` (already fetched through a door); Http404 otherwise."""
    revision = Revision.objects.filter(item=item, public_id=public_id).first()
    if revision is None:
        raise Http404(_("No such revision."))
    return revision


def live_rights(user, item_id: int) -> str | None:
    """What ``user`` may do on document ``item_id``'s live channel: "edit", "view" or None.

    The live process asks this at connect time and again whenever access changes.
    """
    from tenant_apps.content.permissions import content_visible_to

    row = (
        content_visible_to(user)
        .filter(pk=item_id, kind=Kind.DOCUMENT)
        .values("viewer_can_edit")
        .first()
    )
    if row is None:
        return None
    return "edit" if row["viewer_can_edit"] else "view"
