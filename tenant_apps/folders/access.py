"""The folders' door: every page, endpoint and action fetches a folder here."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

from tenant_apps.folders.models import Folder
from tenant_apps.folders.permissions import can_manage_folder_q, folders_visible_to


def access_folder(viewer, public_id: str, *, for_write: bool = False) -> Folder:
    """The folder ``public_id`` if ``viewer`` may see it (and manage it, with ``for_write``).

    Http404 otherwise: missing, in the trash and not allowed answer alike.
    """
    folder = (
        folders_visible_to(viewer).select_related("created_by").filter(public_id=public_id).first()
    )
    if folder is None or (for_write and not folder.viewer_can_manage):
        raise Http404(_("No such folder."))
    return folder


def access_trashed_folder(viewer, public_id: str) -> Folder:
    """A folder in the trash that ``viewer`` manages (to restore it); Http404 otherwise."""
    folder = (
        Folder.objects.filter(public_id=public_id, deleted_at__isnull=False)
        .filter(can_manage_folder_q(viewer))
        .first()
    )
    if folder is None:
        raise Http404(_("No such folder in your trash."))
    return folder
