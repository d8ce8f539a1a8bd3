"""Reads about connections and blocks."""

from __future__ import annotations

from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, When

from tenant_apps.connections.models import (
    Block,
    Connection,
    ConnectionStatus,
    Follow,
    FollowSettings,
)
from tenant_apps.people.models import User
from tenant_apps.people.selectors import people_visible_to, person_columns_deferred


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


def is_connected(user: User, other: User) -> bool:
    return Connection.objects.filter(
        Q(inviter=user, invitee=other) | Q(inviter=other, invitee=user),
        status=ConnectionStatus.ACCEPTED,
    ).exists()


def connections_shown(*, viewer, person: User) -> str | None:
    """Which of ``person``'s connections ``viewer`` may see listed: ``"all"`` for the person
    and their own (accepted) connections; ``"mutual"`` for any other signed-in member - the
    connections they share, which a profile already shows them; None for visitors."""
    if not getattr(viewer, "is_authenticated", False):
        return None
    if viewer.pk == person.pk or is_connected(viewer, person):
        return "all"
    return "mutual"


def person_connections(*, viewer, person: User, shown: str) -> QuerySet[Connection]:
    """``person``'s accepted connections as ``viewer`` may see them (``shown`` from
    ``connections_shown``), newest first: only active people visible to ``viewer``, and with
    ``"mutual"`` only those also connected to ``viewer`` (the person sees every active one).
    ``other_id`` is the connected person's pk; ``inviter`` and ``invitee`` come with the rows
    (one query a page)."""
    rows = Connection.objects.filter(
        Q(inviter=person) | Q(invitee=person), status=ConnectionStatus.ACCEPTED
    ).annotate(other_id=Case(When(inviter=person, then=F("invitee_id")), default=F("inviter_id")))
    if viewer.pk == person.pk:
        # Oneself: every active connection, as on /connections/ (hidden names as "a member").
        rows = rows.filter(Exists(User.objects.filter(pk=OuterRef("other_id"), is_active=True)))
    else:
        rows = rows.filter(Exists(people_visible_to(viewer).filter(pk=OuterRef("other_id"))))
    if shown == "mutual":
        rows = rows.filter(
            Exists(
                Connection.objects.filter(status=ConnectionStatus.ACCEPTED).filter(
                    Q(inviter=viewer, invitee=OuterRef("other_id"))
                    | Q(invitee=viewer, inviter=OuterRef("other_id"))
                )
            )
        )
    return rows.select_related("inviter", "invitee").defer(
        *person_columns_deferred("inviter"), *person_columns_deferred("invitee")
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


# --- following ---------------------------------------------------------------------
def follow_settings_of(user: User) -> FollowSettings:
    """``user``'s following choices (an unsaved row with the defaults when they made none)."""
    return FollowSettings.objects.filter(user=user).first() or FollowSettings(user=user)


def is_following(follower: User, followed: User) -> bool:
    if not getattr(follower, "is_authenticated", False):
        return False
    return Follow.objects.filter(follower=follower, followed=followed).exists()


def follower_ids_of(user_id: int) -> set[int]:
    """The active people following ``user_id`` (the activity fan-out asks)."""
    return set(
        Follow.objects.filter(followed_id=user_id, follower__is_active=True).values_list(
            "follower_id", flat=True
        )
    )


def _unlisted() -> QuerySet[FollowSettings]:
    return FollowSettings.objects.filter(is_listed=False)


def follow_lists_shown(*, viewer, person: User) -> bool:
    """Whether ``viewer`` may see ``person``'s follower and following lists: their own, or
    anyone's who chose to be listed."""
    if getattr(viewer, "is_authenticated", False) and viewer.pk == person.pk:
        return True
    return follow_settings_of(person).is_listed


def _listed_for(viewer, people_field: str, rows: QuerySet[Follow]) -> QuerySet[Follow]:
    """``rows`` without the people (through ``people_field``) whom ``viewer`` may not see
    listed: those invisible to them, and those who chose not to be listed (but oneself)."""
    visible = people_visible_to(viewer).filter(pk=OuterRef(f"{people_field}_id"))
    hidden = _unlisted().filter(user_id=OuterRef(f"{people_field}_id"))
    rows = rows.filter(Exists(visible), **{f"{people_field}__is_active": True})
    if getattr(viewer, "is_authenticated", False):
        return rows.filter(~Exists(hidden) | Q(**{f"{people_field}_id": viewer.pk}))
    return rows.filter(~Exists(hidden))


def followers_list(*, viewer, person: User) -> QuerySet[Follow]:
    """The people following ``person`` that ``viewer`` may see listed, newest first (the
    caller checks ``follow_lists_shown``). ``person`` sees all their followers."""
    rows = Follow.objects.filter(followed=person).select_related("follower")
    if getattr(viewer, "is_authenticated", False) and viewer.pk == person.pk:
        return rows.filter(follower__is_active=True).order_by("-id")
    return _listed_for(viewer, "follower", rows).order_by("-id")


def following_list(*, viewer, person: User) -> QuerySet[Follow]:
    """The people ``person`` follows that ``viewer`` may see listed, newest first."""
    rows = Follow.objects.filter(follower=person).select_related("followed")
    return _listed_for(viewer, "followed", rows).order_by("-id")
