"""Reads about connections and blocks."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from tenant_apps.connections.models import Block, Connection, ConnectionStatus
from tenant_apps.people.models import User


def connections_of(user: User) -> QuerySet[Connection]:
    """Every connection ``user`` is a party to (pending either way, or accepted)."""
    return Connection.objects.filter(Q(inviter=user) | Q(invitee=user)).select_related(
        "inviter", "invitee"
    )


def connections_list(*, user: User, which: str = "accepted") -> QuerySet[Connection]:
    """``accepted`` (my connections), ``incoming`` or ``outgoing`` (pending invitations)."""
    if which == "incoming":
        rows = Connection.objects.filter(invitee=user, status=ConnectionStatus.PENDING)
    elif which == "outgoing":
        rows = Connection.objects.filter(inviter=user, status=ConnectionStatus.PENDING)
    else:
        rows = Connection.objects.filter(
            Q(inviter=user) | Q(invitee=user), status=ConnectionStatus.ACCEPTED
        )
    return rows.select_related("inviter", "invitee").order_by("-id")


def connection_between(user: User, other: User) -> Connection | None:
    return (
        Connection.objects.filter(Q(inviter=user, invitee=other) | Q(inviter=other, invitee=user))
        .select_related("inviter", "invitee")
        .first()
    )


def _connected_to(user: User) -> Exists:
    """A filter for people connected to ``user`` (for a queryset of User)."""
    return Exists(
        Connection.objects.filter(status=ConnectionStatus.ACCEPTED).filter(
            Q(inviter=user, invitee=OuterRef("pk")) | Q(invitee=user, inviter=OuterRef("pk"))
        )
    )


def mutual_connections(*, viewer: User, person: User) -> QuerySet[User]:
    """Active people connected to both ``viewer`` and ``person``, by name (one query)."""
    return (
        User.objects.filter(is_active=True)
        .filter(_connected_to(viewer))
        .filter(_connected_to(person))
        .exclude(pk__in=(viewer.pk, person.pk))
        .order_by("display_name", "id")
    )


def has_blocked(blocker: User, blocked: User) -> bool:
    return Block.objects.filter(blocker=blocker, blocked=blocked).exists()


def blocks_of(user: User) -> QuerySet[Block]:
    return Block.objects.filter(blocker=user).select_related("blocked").order_by("-id")


def blockers_among(sender: User, people_ids) -> set[int]:
    """Which of ``people_ids`` (user pks) have blocked ``sender``: one query."""
    return set(
        Block.objects.filter(blocked=sender, blocker_id__in=people_ids).values_list(
            "blocker_id", flat=True
        )
    )
