"""Messaging's door: a thread, as one of its participants sees it."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

from tenant_apps.messaging.models import Folder, ThreadState


def access_thread(viewer, public_id: str, *, for_write: bool = False) -> ThreadState:
    """``viewer``'s view of the thread; Http404 when they are not in it (or deleted it).

    Every participant may reply, file and delete their own view, so ``for_write`` asks
    nothing more.
    """
    if not getattr(viewer, "is_authenticated", False):
        raise Http404(_("No such thread."))
    state = (
        ThreadState.objects.filter(user=viewer, thread__public_id=public_id)
        .exclude(folder=Folder.DELETED)
        .select_related("thread")
        .first()
    )
    if state is None:
        raise Http404(_("No such thread."))
    return state
