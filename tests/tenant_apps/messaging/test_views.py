"""Message pages: writing, the inbox with unread counts, a thread marked read on opening,
replying, moving and deleting; friendly errors; threads of others 404."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context

from tenant_apps.messaging.models import Thread, ThreadState
from tenant_apps.messaging.services import message_reply, message_send
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def _thread(world, body="Hello"):
    with schema_context(world.tenant_a.schema_name):
        return message_send(
            actor=world.alice, to=[world.bob.public_id], subject="Reading group", body=body
        )


def _state(world, user, thread):
    with schema_context(world.tenant_a.schema_name):
        return ThreadState.objects.get(user=user, thread=thread)


def test_writing_a_message_and_bad_input(client_a, world):
    assert client_a.get("/messages/new")["Location"].startswith("/signin")
    sign_in(client_a, world.alice, world.tenant_a)
    form = client_a.get(f"/messages/new?to={world.bob.public_id}").content.decode()
    assert 'for="id_to"' in form and world.bob.public_id in form
    bad = client_a.post("/messages/new", {"to": "u_nosuch", "subject": "Hi", "body": "x"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "u_nosuch: there is no one with this id" in html and 'role="alert"' in html
    empty = client_a.post("/messages/new", {"to": world.bob.public_id, "subject": "", "body": ""})
    assert empty.status_code == 400 and "This field is required." in empty.content.decode()
    sent = client_a.post(
        "/messages/new", {"to": world.bob.public_id, "subject": "Lunch", "body": "Noon?"}
    )
    assert sent.status_code == 302
    with schema_context(world.tenant_a.schema_name):
        thread = Thread.objects.get(subject="Lunch")
    assert sent["Location"] == f"/messages/{thread.public_id}"


def test_the_inbox_shows_unread_threads_and_opening_reads_them(client_a, world):
    thread = _thread(world, body="<p>Chapter <em>one</em></p><script>x()</script>")
    sign_in(client_a, world.bob, world.tenant_a)
    inbox = client_a.get("/messages/").content.decode()
    assert '<span class="badge">1<span class="visually-hidden"> unread</span>' in inbox
    assert "(unread)" in inbox and "Reading group" in inbox
    page = client_a.get(f"/messages/{thread.public_id}").content.decode()
    assert "<p>Chapter <em>one</em></p>" in page and "x()" not in page
    assert "Alice Archer" in page and "alice@example.edu" not in page
    assert _state(world, world.bob, thread).is_unread is False
    after = client_a.get("/messages/").content.decode()
    assert "(unread)" not in after and '<span class="badge">' not in after


def test_replying_moving_and_deleting(client_a, world):
    thread = _thread(world)
    sign_in(client_a, world.bob, world.tenant_a)
    act = f"/messages/{thread.public_id}/act"
    empty = client_a.post(act, {"action": "reply", "body": ""}, follow=True)
    assert "A reply cannot be empty." in empty.content.decode()
    client_a.post(act, {"action": "reply", "body": "See you there"})
    assert _state(world, world.alice, thread).is_unread is True
    client_a.post(act, {"action": "archive"})
    assert "Reading group" in client_a.get("/messages/?folder=archive").content.decode()
    assert "Reading group" not in client_a.get("/messages/").content.decode()
    asked = client_a.post(act, {"action": "delete"})
    assert asked.status_code == 200
    assert "Delete this thread for you?" in asked.content.decode()
    assert 'name="confirmed" value="1"' in asked.content.decode()
    assert client_a.get(f"/messages/{thread.public_id}").status_code == 200
    client_a.post(act, {"action": "delete", "confirmed": "1"})
    assert client_a.get(f"/messages/{thread.public_id}").status_code == 404
    assert _state(world, world.alice, thread).folder == "inbox"


def test_threads_of_others_are_404(client_a, client_b, world):
    thread = _thread(world)
    sign_in(client_a, world.admin_a, world.tenant_a)
    assert client_a.get(f"/messages/{thread.public_id}").status_code == 404
    assert (
        client_a.post(
            f"/messages/{thread.public_id}/act", {"action": "reply", "body": "x"}
        ).status_code
        == 404
    )
    sign_in(client_b, world.charlie, world.tenant_b)
    assert client_b.get(f"/messages/{thread.public_id}").status_code == 404


def test_folder_pages_by_keyset(client_a, world, django_assert_max_num_queries):
    for _ in range(55):
        _thread(world)
    sign_in(client_a, world.bob, world.tenant_a)
    client_a.get("/messages/")
    with django_assert_max_num_queries(7):
        first = client_a.get("/messages/").content.decode()
    after = re.search(r"after=(t_[a-z2-7]+)", first).group(1)
    with django_assert_max_num_queries(8):
        second = client_a.get(f"/messages/?folder=inbox&after={after}").content.decode()
    ids = re.findall(r'href="/messages/(t_[a-z2-7]+)"', first + second)
    assert len(ids) == len(set(ids)) == 55
    assert client_a.get("/messages/?after=t_nosuch").status_code == 404


def test_a_read_only_institution_shows_threads_but_takes_no_replies(client_a, world):
    from shared_apps.audit.services import Actor
    from tenants.services import tenant_suspend

    thread = _thread(world)
    with schema_context(world.tenant_a.schema_name):
        message_reply(actor=world.alice, state=_state(world, world.alice, thread), body="More")
    tenant_suspend(tenant=world.tenant_a, actor=Actor.system("test"))
    sign_in(client_a, world.bob, world.tenant_a)
    assert client_a.get(f"/messages/{thread.public_id}").status_code == 200
    assert _state(world, world.bob, thread).is_unread is True  # no write on a read-only read
    reply = client_a.post(f"/messages/{thread.public_id}/act", {"action": "reply", "body": "x"})
    assert reply.status_code == 423


def test_no_social_page_shows_another_persons_username_or_email(client_a, world):
    from tenant_apps.connections.services import connection_invite
    from tenant_apps.groups.services import group_create, group_join
    from tests.crawl import crawl

    with schema_context(world.tenant_a.schema_name):
        group = group_create(actor=world.alice, title="Seminar", join_policy="open")
        group_join(actor=world.bob, group=group)
        connection_invite(actor=world.alice, person=world.bob)
    thread = _thread(world)
    sign_in(client_a, world.bob, world.tenant_a)
    pages = crawl(
        client_a,
        [
            "/groups/",
            "/connections/?show=incoming",
            "/messages/",
            f"/people/{world.alice.public_id}",
            f"/api/v1/groups/{group.public_id}/members/",
            f"/api/v1/messages/{thread.public_id}",
            f"/api/v1/messages/{thread.public_id}/messages/",
            "/api/v1/connections/?status=incoming",
        ],
    )
    assert len(pages) >= 10
    for path, body in pages.items():
        lowered = body.lower()
        for person in (world.alice, world.admin_a, world.charlie):
            assert person.email.lower() not in lowered, (path, person.username)
            assert f'"{person.username}"' not in lowered, (path, person.username)
            assert f">{person.username}<" not in lowered, (path, person.username)


def test_a_long_thread_page_costs_a_fixed_number_of_queries(
    client_a, world, django_assert_max_num_queries
):
    thread = _thread(world)
    with schema_context(world.tenant_a.schema_name):
        state = ThreadState.objects.get(thread=thread, user=world.alice)
        for index in range(60):
            message_reply(actor=world.alice, state=state, body=f"Part {index:02d}")
    sign_in(client_a, world.bob, world.tenant_a)
    client_a.get(f"/messages/{thread.public_id}")  # reads it: later visits write nothing
    with django_assert_max_num_queries(9):
        first = client_a.get(f"/messages/{thread.public_id}").content.decode()
    after = re.search(r"after=(m_[a-z2-7]+)", first).group(1)
    with django_assert_max_num_queries(10):
        second = client_a.get(f"/messages/{thread.public_id}?after={after}").content.decode()
    parts = re.findall(r">(Hello|Part \d\d)<", first + second)
    assert len(parts) == len(set(parts)) == 61
