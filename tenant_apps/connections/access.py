"""The connections' door: a connection named by its public id."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

from tenant_apps.connections.models import Connection
from tenant_apps.connections.selectors import connections_of


def access_connection(viewer, public_id: str, *, for_write: bool = False) -> Connection:
    """A connection ``viewer`` is a party to; Http404 otherwise (missing looks the same).

    Either party may answer, withdraw or end it, so ``for_write`` asks nothing more.
    """
    row = connections_of(viewer).filter(public_id=public_id).first()
    if row is None:
        raise Http404(_("No such connection."))
    return row
