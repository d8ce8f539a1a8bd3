"""Writes about connections and blocks: the one write path for each action.

A block is never revealed to the blocked person: what they are told is what anyone is told
who cannot invite or message someone.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenant_apps.activity.services import activity_record
from tenant_apps.connections.models import (
    Block,
    Connection,
    ConnectionStatus,
    Follow,
    FollowSettings,
)
from tenant_apps.connections.selectors import connection_between, follow_settings_of, has_blocked
from tenant_apps.people.models import User

CANNOT_INVITE = gettext_lazy("This person cannot be invited to connect.")


@transaction.atomic
def connection_invite(*, actor: User, person: User) -> Connection:
    """Invite ``person`` to connect. If they already invited ``actor``, this accepts.

    ValidationError for oneself, an inactive person, someone already connected or invited,
    someone ``actor`` has blocked, and - in the same words as for anyone who cannot be
    invited - someone who blocked ``actor``.
    """
    if person.pk == actor.pk:
        raise ValidationError({"person": [_("You cannot connect with yourself.")]})
    if has_blocked(actor, person):
        raise ValidationError({"person": [_("You have blocked this person; unblock them first.")]})
    if not person.is_active or has_blocked(person, actor):
        raise ValidationError({"person": [CANNOT_INVITE]})
    existing = connection_between(actor, person)
    if existing is not None:
        if existing.status == ConnectionStatus.PENDING and existing.invitee_id == actor.pk:
            return connection_accept(actor=actor, connection=existing)
        raise ValidationError({"person": [_("You are already connected or invited.")]})
    try:
        with transaction.atomic():
            connection = Connection.objects.create(inviter=actor, invitee=person)
        activity_record(actor=actor, verb="connection.requested", person=person)
        return connection
    except IntegrityError:
        # They invited at the same moment: the pair's unique index let one through.
        raise ValidationError({"person": [_("You are already connected or invited.")]}) from None


@transaction.atomic
def connection_accept(*, actor: User, connection: Connection) -> Connection:
    """The invitee accepts a pending invitation."""
    if connection.invitee_id != actor.pk or connection.status != ConnectionStatus.PENDING:
        raise PermissionDenied(_("Only the invited person accepts a pending invitation."))
    connection.status = ConnectionStatus.ACCEPTED
    connection.accepted = timezone.now()
    connection.save(update_fields=["status", "accepted"])
    activity_record(actor=actor, verb="connection.accepted", person=connection.inviter)
    return connection


@transaction.atomic
def connection_end(*, actor: User, connection: Connection) -> str:
    """End a connection from ``actor``'s side: decline (an invitation to them), cancel (their
    own invitation) or remove (an accepted connection). Returns which it was."""
    if actor.pk not in (connection.inviter_id, connection.invitee_id):
        raise PermissionDenied(_("Not your connection."))
    if connection.status == ConnectionStatus.ACCEPTED:
        what = "removed"
    elif connection.invitee_id == actor.pk:
        what = "declined"
    else:
        what = "cancelled"
    connection.delete()
    return what


@transaction.atomic
def person_block(*, actor: User, person: User) -> Block:
    """Block ``person``: any connection or invitation between the two ends, and they can no
    longer invite or message ``actor``. Blocking twice is harmless."""
    if person.pk == actor.pk:
        raise ValidationError({"person": [_("You cannot block yourself.")]})
    Connection.objects.filter(
        Q(inviter=actor, invitee=person) | Q(inviter=person, invitee=actor)
    ).delete()
    Follow.objects.filter(
        Q(follower=actor, followed=person) | Q(follower=person, followed=actor)
    ).delete()
    block, _created = Block.objects.get_or_create(blocker=actor, blocked=person)
    return block


@transaction.atomic
def person_unblock(*, actor: User, person: User) -> None:
    Block.objects.filter(blocker=actor, blocked=person).delete()


# --- following -----------------------------------------------------------------------
CANNOT_FOLLOW = "This person cannot be followed."


@transaction.atomic
def person_follow(*, actor: User, person: User) -> Follow:
    """``actor`` follows ``person`` (whom the caller's door let them see): their public
    activity reaches ``actor``'s feed, and ``person`` is told. Following twice is harmless.

    ValidationError for oneself and, in the same words (nothing says which), for someone
    who does not allow followers, is inactive, or blocked ``actor`` or was blocked by them.
    """
    if person.pk == actor.pk:
        raise ValidationError({"person": [_("You cannot follow yourself.")]})
    if (
        not person.is_active
        or not follow_settings_of(person).allows_followers
        or Block.objects.filter(
            Q(blocker=person, blocked=actor) | Q(blocker=actor, blocked=person)
        ).exists()
    ):
        raise ValidationError({"person": [CANNOT_FOLLOW]})
    follow, created = Follow.objects.get_or_create(follower=actor, followed=person)
    if created:
        activity_record(actor=actor, verb="person.followed", person=person)
    return follow


@transaction.atomic
def person_unfollow(*, actor: User, person: User) -> None:
    """``actor`` stops following ``person`` (harmless when they did not)."""
    Follow.objects.filter(follower=actor, followed=person).delete()


@transaction.atomic
def follow_settings_update(
    *, actor: User, allows_followers: bool | None = None, is_listed: bool | None = None
) -> FollowSettings:
    """Change ``actor``'s following choices. No longer allowing followers ends every
    follow of them at once."""
    settings_row, _created = FollowSettings.objects.select_for_update().get_or_create(user=actor)
    changed = []
    if allows_followers is not None and allows_followers != settings_row.allows_followers:
        settings_row.allows_followers = allows_followers
        changed.append("allows_followers")
    if is_listed is not None and is_listed != settings_row.is_listed:
        settings_row.is_listed = is_listed
        changed.append("is_listed")
    if changed:
        settings_row.save(update_fields=changed)
    if not settings_row.allows_followers:
        Follow.objects.filter(followed=actor).delete()
    return settings_row
