"""Messaging rules: participants (groups expanded at send time), folders, unread counts,
replies, deleting for oneself, sanitised bodies, refusals that never reveal a block."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import override_settings
from django_tenants.utils import schema_context

from tenant_apps.connections.services import person_block
from tenant_apps.groups.services import group_create, group_join
from tenant_apps.messaging.access import access_thread
from tenant_apps.messaging.models import Message, Thread, ThreadState
from tenant_apps.messaging.selectors import (
    folder_threads,
    thread_messages,
    unread_counts,
)
from tenant_apps.messaging.services import (
    body_clean,
    message_reply,
    message_send,
    thread_delete,
    thread_mark,
    thread_move,
    unreachable,
)
from tenant_apps.people.services import user_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def alpha(world):
    with schema_context(world.tenant_a.schema_name):
        yield world


def _send(actor, *to, subject="Hello", body="<p>Hi</p>"):
    return message_send(
        actor=actor,
        to=[p if isinstance(p, str) else p.public_id for p in to],
        subject=subject,
        body=body,
    )


def _state(user, thread):
    return ThreadState.objects.get(user=user, thread=thread)


def _threads(user, folder):
    return [s.thread for s in folder_threads(user=user, folder=folder)]


def test_a_message_reaches_its_recipients_unread(alpha):
    thread = _send(alpha.alice, alpha.bob)
    assert thread.public_id.startswith("t_")
    assert Message.objects.get(thread=thread).public_id.startswith("m_")
    assert _threads(alpha.bob, "inbox") == [thread]
    assert unread_counts(alpha.bob)["inbox"] == 1
    assert unread_counts(alpha.alice)["inbox"] == 0
    assert _threads(alpha.alice, "sent") == [thread]
    assert _threads(alpha.bob, "sent") == []


def test_groups_are_expanded_to_their_members_at_send_time(alpha):
    group = group_create(actor=alpha.alice, title="Seminar", join_policy="open")
    group_join(actor=alpha.bob, group=group)
    thread = _send(alpha.alice, group.public_id)
    assert set(ThreadState.objects.filter(thread=thread).values_list("user", flat=True)) == {
        alpha.alice.pk,
        alpha.bob.pk,
    }
    group_join(actor=alpha.admin_a, group=group)  # joins later: not in the thread
    with pytest.raises(Http404):
        access_thread(alpha.admin_a, thread.public_id)


def test_a_group_one_cannot_see_is_refused(alpha):
    secret = group_create(actor=alpha.bob, title="Secret", visibility="private")
    with pytest.raises(ValidationError) as error:
        _send(alpha.alice, secret.public_id)
    assert error.value.message_dict["to"] == [
        f"{secret.public_id}: there is no group with this id that you can see."
    ]
    assert not Thread.objects.exists()


def test_someone_who_blocked_the_sender_is_refused_like_a_stranger(alpha):
    person_block(actor=alpha.bob, person=alpha.alice)
    with pytest.raises(ValidationError) as blocked:
        _send(alpha.alice, alpha.bob)
    with pytest.raises(ValidationError) as unknown:
        _send(alpha.alice, "u_nosuchperson")
    assert blocked.value.message_dict["to"] == [unreachable(alpha.bob.public_id)]
    assert unknown.value.message_dict["to"] == [unreachable("u_nosuchperson")]
    assert "block" not in unreachable(alpha.bob.public_id)
    assert not Thread.objects.exists()


def test_group_members_who_blocked_the_sender_are_left_out(alpha):
    group = group_create(actor=alpha.alice, title="Seminar", join_policy="open")
    group_join(actor=alpha.bob, group=group)
    group_join(actor=alpha.admin_a, group=group)
    person_block(actor=alpha.bob, person=alpha.alice)
    thread = _send(alpha.alice, group.public_id)
    assert not ThreadState.objects.filter(thread=thread, user=alpha.bob).exists()
    assert ThreadState.objects.filter(thread=thread, user=alpha.admin_a).exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"subject": " "}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"body": "<script>alert(1)</script>"}, "body"),
        ({"body": "   "}, "body"),
        ({"to": []}, "to"),
        ({"to": ["nonsense"]}, "to"),
    ],
)
def test_bad_messages_are_refused_and_nothing_is_written(alpha, values, field):
    args = {"to": [alpha.bob.public_id], "subject": "Hi", "body": "Hello", **values}
    with pytest.raises(ValidationError) as error:
        message_send(actor=alpha.alice, **args)
    assert field in error.value.message_dict
    assert not Thread.objects.exists() and not ThreadState.objects.exists()


def test_messaging_only_oneself_is_refused(alpha):
    with pytest.raises(ValidationError, match="no one else"):
        _send(alpha.alice, alpha.alice)


@override_settings(MESSAGING_MAX_RECIPIENTS=2)
def test_there_is_a_ceiling_on_recipients(alpha):
    carol = user_create(username="carol", display_name="Carol")
    with pytest.raises(ValidationError, match="at most 2"):
        _send(alpha.alice, alpha.bob, alpha.admin_a, carol)


def test_bodies_are_sanitised():
    cleaned = body_clean(
        '<p onclick="x()">Hi <a href="javascript:alert(1)">x</a> <a href="https://e.org">y</a>'
        "<img src=x onerror=alert(1)><script>bad()</script></p>"
    )
    assert "onclick" not in cleaned and "javascript" not in cleaned
    assert "<script" not in cleaned and "<img" not in cleaned and "bad()" not in cleaned
    assert '<a href="https://e.org" rel="noopener noreferrer nofollow">y</a>' in cleaned


def test_replies_are_unread_for_the_others_and_bring_threads_back(alpha):
    thread = _send(alpha.alice, alpha.bob)
    bob = _state(alpha.bob, thread)
    thread_mark(actor=alpha.bob, state=bob, is_unread=False)
    thread_move(actor=alpha.bob, state=bob, folder="archive")
    assert _threads(alpha.bob, "archive") == [thread]
    message_reply(actor=alpha.alice, state=_state(alpha.alice, thread), body="Still there?")
    bob = _state(alpha.bob, thread)
    assert (bob.folder, bob.is_unread) == ("inbox", True)
    message_reply(actor=alpha.bob, state=bob, body="Yes")
    assert _state(alpha.bob, thread).is_unread is False
    assert _threads(alpha.bob, "sent") == [thread]
    assert _state(alpha.alice, thread).is_unread is True


def test_deleting_is_for_oneself_only(alpha):
    thread = _send(alpha.alice, alpha.bob, body="First")
    thread_move(actor=alpha.bob, state=_state(alpha.bob, thread), folder="trash")
    assert _threads(alpha.bob, "trash") == [thread]
    thread_delete(actor=alpha.bob, state=_state(alpha.bob, thread))
    with pytest.raises(Http404):
        access_thread(alpha.bob, thread.public_id)
    for folder in ("inbox", "sent", "archive", "trash"):
        assert _threads(alpha.bob, folder) == []
    alice = access_thread(alpha.alice, thread.public_id)
    assert [m.body for m in thread_messages(alice)] == ["First"]
    message_reply(actor=alpha.alice, state=alice, body="Second")
    bob = access_thread(alpha.bob, thread.public_id)  # back, with only the new message
    assert [m.body for m in thread_messages(bob)] == ["Second"]


def test_replies_from_someone_one_blocked_stay_out_of_sight(alpha):
    thread = _send(alpha.alice, alpha.bob, body="Before")
    bob = _state(alpha.bob, thread)
    thread_mark(actor=alpha.bob, state=bob, is_unread=False)
    person_block(actor=alpha.bob, person=alpha.alice)
    message_reply(actor=alpha.alice, state=_state(alpha.alice, thread), body="After")
    bob = _state(alpha.bob, thread)
    assert bob.is_unread is False
    assert [m.body for m in thread_messages(bob)] == []
