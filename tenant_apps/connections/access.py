"""The connections' door: a connection named by its public id."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

from tenant_apps.connections.models import Connection
from tenant_apps.connections.selectors import connections_of, follow_settings_of
from tenant_apps.people.access import access_person
from tenant_apps.people.models import User


def access_connection(viewer, public_id: str, *, for_write: bool = False) -> Connection:
    """A connection ``viewer`` is a party to; Http404 otherwise (missing looks the same).

    Either party may answer, withdraw or end it, so ``for_write`` asks nothing more.
    """
    row = connections_of(viewer).filter(public_id=public_id).first()
    if row is None:
        raise Http404(_("No such connection."))
    return row


def access_person_activity(viewer, public_id: str) -> User:
    """The person whose public activity ``viewer`` asks for: someone they may see who allows
    followers (or themselves). Http404 otherwise, like an unknown id."""
    person = access_person(viewer, public_id)
    is_self = getattr(viewer, "is_authenticated", False) and viewer.pk == person.pk
    if not is_self and not follow_settings_of(person).allows_followers:
        raise Http404(_("No such person."))
    return person
