"""Writes about messages: send, reply, mark read, move between folders, delete for oneself.

Recipients are people and groups; a group is expanded to its members when the message is
sent (people who join later do not see it). A person who blocked the sender, or a group the
sender cannot see, is refused with the same words as an id that does not exist, so a block
is never revealed; members of a group who blocked the sender are silently left out.
"""

from __future__ import annotations

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tenant_apps.activity.services import activity_record
from tenant_apps.connections.models import Block
from tenant_apps.connections.selectors import blockers_among
from tenant_apps.groups.models import GroupMembership
from tenant_apps.groups.selectors import AUDIENCE_WORDS, group_admits, groups_visible_to
from tenant_apps.messaging.models import Folder, Message, Thread, ThreadState
from tenant_apps.people.models import User
from tenant_apps.people.selectors import people_visible_to

# What a message body may hold: text formatting and links, nothing that runs or loads.
ALLOWED_TAGS = {
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "em",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
MAX_BODY = 50_000
MAX_ADDRESSES = 100
MOVABLE = (Folder.INBOX, Folder.ARCHIVE, Folder.TRASH)


def body_clean(body: str) -> str:
    """The body as safe HTML (nh3), or ValidationError when nothing readable is left."""
    if len(body) > MAX_BODY:
        raise ValidationError({"body": [f"A message is at most {MAX_BODY:,} characters."]})
    cleaned = nh3.clean(
        body,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()
    if not nh3.clean(cleaned, tags=set()).strip():
        raise ValidationError({"body": [_("A message cannot be empty.")]})
    return cleaned


def unreachable(address: str) -> str:
    # The same words for an unknown id, someone invisible and someone who blocked the sender.
    return f"{address}: there is no one with this id who can receive your message."


def recipients_resolve(*, actor: User, to: list[str]) -> list[int]:
    """The user pks a message from ``actor`` to ``to`` (person and group ids) reaches.

    ValidationError (on ``to``) for unknown or invisible ids, people who blocked ``actor``,
    groups ``actor`` cannot see, no one left to send to, or too many people.
    """
    addresses = list(dict.fromkeys(a.strip() for a in to if a.strip()))
    if not addresses:
        raise ValidationError({"to": [_("Add at least one person or group.")]})
    if len(addresses) > MAX_ADDRESSES:
        raise ValidationError(
            {
                "to": [
                    _("At most %(max_addresses)s people and groups at once.")
                    % {"max_addresses": MAX_ADDRESSES}
                ]
            }
        )
    errors: list[str] = []
    person_ids = [a for a in addresses if a.startswith("u_")]
    people = dict(
        people_visible_to(actor).filter(public_id__in=person_ids).values_list("public_id", "pk")
    )
    blockers = blockers_among(actor, people.values())
    reached: set[int] = set()
    for address in addresses:
        if address.startswith("u_"):
            pk = people.get(address)
            if pk is None or pk in blockers:
                errors.append(unreachable(address))
            else:
                reached.add(pk)
        elif address.startswith("g_"):
            group = groups_visible_to(actor).filter(public_id=address).first()
            if group is None:
                errors.append(f"{address}: there is no group with this id that you can see.")
                continue
            if not group_admits(actor, group, group.message_policy):
                who = AUDIENCE_WORDS[group.message_policy]
                errors.append(f"{address}: only {who} may message this group.")
                continue
            members = GroupMembership.objects.filter(group=group, user__is_active=True).exclude(
                user_id__in=Block.objects.filter(blocked=actor).values("blocker_id")
            )
            reached.update(members.values_list("user_id", flat=True))
        else:
            errors.append(f"{address}: not the id of a person (u_...) or a group (g_...).")
    if errors:
        raise ValidationError({"to": errors})
    reached.discard(actor.pk)
    if not reached:
        raise ValidationError({"to": [_("There is no one else to send this message to.")]})
    if len(reached) > settings.MESSAGING_MAX_RECIPIENTS:
        raise ValidationError(
            {"to": [f"A message reaches at most {settings.MESSAGING_MAX_RECIPIENTS:,} people."]}
        )
    return sorted(reached)


@transaction.atomic
def message_send(*, actor: User, to: list[str], subject: str, body: str) -> Thread:
    """Start a thread: ``actor`` and everyone ``to`` reaches are its participants.

    Each participant gets their own state row (in their inbox, unread for all but the
    sender). ValidationError for a bad subject or body or unreachable recipients.
    """
    subject = (subject or "").strip()
    errors = {}
    if not subject:
        errors["subject"] = ["A message needs a subject."]
    elif len(subject) > 200:
        errors["subject"] = ["A subject is at most 200 characters."]
    try:
        cleaned = body_clean(body or "")
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        recipients = recipients_resolve(actor=actor, to=to)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    thread = Thread.objects.create(subject=subject, created_by=actor, last_message_at=now)
    Message.objects.create(thread=thread, sender=actor, body=cleaned, created=now)
    states = [ThreadState(thread=thread, user=actor, last_message_at=now, last_sent_at=now)] + [
        ThreadState(thread=thread, user_id=pk, is_unread=True, last_message_at=now)
        for pk in recipients
    ]
    ThreadState.objects.bulk_create(states, batch_size=1000)
    activity_record(actor=actor, verb="message.sent", thread=thread)
    return thread


@transaction.atomic
def message_reply(*, actor: User, state: ThreadState, body: str) -> Message:
    """``actor`` (a participant: ``state`` is theirs) adds a message to the thread.

    It is unread for the other participants and brings the thread back to their inbox -
    except for those who blocked ``actor``, whose thread stays as it was.
    """
    if state.user_id != actor.pk:
        raise ValidationError(_("Only a participant replies."))
    cleaned = body_clean(body or "")
    thread = Thread.objects.select_for_update().get(pk=state.thread_id)
    now = timezone.now()
    message = Message.objects.create(thread=thread, sender=actor, body=cleaned, created=now)
    thread.last_message_at = now
    thread.save(update_fields=["last_message_at"])
    blockers = Block.objects.filter(blocked=actor).values("blocker_id")
    ThreadState.objects.filter(thread=thread).exclude(user=actor).exclude(
        user_id__in=blockers
    ).update(is_unread=True, last_message_at=now, folder=Folder.INBOX)
    mine = ThreadState.objects.filter(pk=state.pk)
    mine.filter(Q(folder=Folder.TRASH) | Q(folder=Folder.DELETED)).update(folder=Folder.INBOX)
    mine.update(last_message_at=now, last_sent_at=now, is_unread=False)
    activity_record(actor=actor, verb="message.sent", thread=thread)
    state.refresh_from_db()
    return message


@transaction.atomic
def thread_mark(*, actor: User, state: ThreadState, is_unread: bool) -> ThreadState:
    """Mark the thread read or unread for ``actor`` alone."""
    if state.user_id != actor.pk:
        raise ValidationError(_("Not your thread."))
    if state.is_unread != is_unread:
        state.is_unread = is_unread
        state.save(update_fields=["is_unread"])
    return state


@transaction.atomic
def thread_move(*, actor: User, state: ThreadState, folder: str) -> ThreadState:
    """Move the thread to ``folder`` (inbox, archive, trash) for ``actor`` alone."""
    if state.user_id != actor.pk:
        raise ValidationError(_("Not your thread."))
    if folder not in MOVABLE:
        raise ValidationError({"folder": [_("Choose inbox, archive or trash.")]})
    state.folder = folder
    state.save(update_fields=["folder"])
    return state


@transaction.atomic
def thread_delete(*, actor: User, state: ThreadState) -> None:
    """Delete the thread for ``actor`` alone: the others keep every message. A later reply
    brings it back, showing only what was written after the deletion."""
    if state.user_id != actor.pk:
        raise ValidationError(_("Not your thread."))
    state.folder = Folder.DELETED
    state.is_unread = False
    state.hidden_before = timezone.now()
    state.save(update_fields=["folder", "is_unread", "hidden_before"])
