"""The account's doors: one's own sessions, by their public id."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

from tenant_apps.account.models import SessionRecord


def access_own_session(viewer, public_id: str) -> SessionRecord:
    """``viewer``'s own session ``public_id``; Http404 for anyone else's (or none)."""
    record = SessionRecord.objects.filter(user=viewer, public_id=public_id).first()
    if record is None:
        raise Http404(_("No such session."))
    return record
