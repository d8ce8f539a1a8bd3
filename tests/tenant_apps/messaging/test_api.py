"""Messages API: send, folders, a thread and its messages, reply, mark, move, delete; bad
input as problems; threads of others and of other institutions 404; bounded queries."""

from __future__ import annotations

import json

import pytest
from django_tenants.utils import schema_context

from tenant_apps.connections.services import person_block
from tenant_apps.groups.services import group_create
from tenant_apps.messaging.models import Thread, ThreadState
from tenant_apps.messaging.services import message_send
from tenant_apps.people.services import user_create

pytestmark = pytest.mark.django_db


def _post(client, path, data=None, **headers):
    return client.post(path, json.dumps(data or {}), content_type="application/json", **headers)


def _patch(client, path, data, **headers):
    return client.patch(path, json.dumps(data), content_type="application/json", **headers)


def _is_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def _thread(world, sender=None, to=None, body="Hello"):
    with schema_context(world.tenant_a.schema_name):
        return message_send(
            actor=sender or world.alice,
            to=[(to or world.bob).public_id],
            subject="Reading group",
            body=body,
        )


def test_sending_reading_and_replying(client_a, world, bearer):
    alice, bob = bearer(world.alice), bearer(world.bob)
    sent = _post(
        client_a,
        "/api/v1/messages/",
        {"to": [world.bob.public_id], "subject": "Lunch?", "body": "<b>Noon</b><script>x</script>"},
        **alice,
    )
    assert sent.status_code == 201
    thread = sent.json()
    assert thread["id"].startswith("t_") and thread["participant_count"] == 2
    assert {p["id"] for p in thread["participants"]} == {world.alice.public_id, world.bob.public_id}
    assert client_a.get("/api/v1/messages/unread", **bob).json() == {
        "inbox": 1,
        "archive": 0,
        "trash": 0,
    }
    inbox = client_a.get("/api/v1/messages/", **bob).json()["results"]
    assert [(t["id"], t["unread"]) for t in inbox] == [(thread["id"], True)]
    url = f"/api/v1/messages/{thread['id']}"
    messages = client_a.get(url + "/messages/", **bob).json()["results"]
    assert messages[0]["body"] == "<b>Noon</b>"
    assert messages[0]["sender"] == {"id": world.alice.public_id, "display_name": "Alice Archer"}
    reply = _post(client_a, url, {"body": "Yes!"}, **bob)
    assert reply.status_code == 201 and reply.json()["id"].startswith("m_")
    assert client_a.get(url, **alice).json()["unread"] is True
    assert _patch(client_a, url, {"unread": False}, **alice).json()["unread"] is False
    sent_folder = client_a.get("/api/v1/messages/?folder=sent", **bob).json()["results"]
    assert [t["id"] for t in sent_folder] == [thread["id"]]
    text = json.dumps(messages) + reply.content.decode()
    assert "alice@example.edu" not in text and '"alice"' not in text


def test_moving_and_deleting_for_oneself(client_a, world, bearer):
    thread = _thread(world)
    alice, bob = bearer(world.alice), bearer(world.bob)
    url = f"/api/v1/messages/{thread.public_id}"
    assert _patch(client_a, url, {"folder": "archive"}, **bob).json()["folder"] == "archive"
    archive = client_a.get("/api/v1/messages/?folder=archive", **bob).json()["results"]
    assert [t["id"] for t in archive] == [thread.public_id]
    assert client_a.get("/api/v1/messages/", **bob).json()["results"] == []
    assert client_a.delete(url, **bob).status_code == 204
    _is_problem(client_a.get(url, **bob), 404)
    assert client_a.get(url, **alice).status_code == 200
    assert len(client_a.get(url + "/messages/", **alice).json()["results"]) == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"subject": "s", "body": "b"}, "to"),
        ({"to": [], "subject": "s", "body": "b"}, "to"),
        ({"to": "u_x", "subject": "s", "body": "b"}, "to"),
        ({"to": ["u_nosuch"], "subject": "s", "body": "b"}, "to"),
        ({"to": ["BOB"], "subject": "s", "body": "b"}, "to"),
        ({"to": ["{bob}"], "body": "b"}, "subject"),
        ({"to": ["{bob}"], "subject": "s", "body": "<script>x</script>"}, "body"),
        ({"to": ["{bob}"], "subject": "s" * 201, "body": "b"}, "subject"),
    ],
)
def test_bad_messages_are_400_problems_and_write_nothing(client_a, world, payload, field, bearer):
    if payload.get("to") and isinstance(payload["to"], list):
        payload["to"] = [t.replace("{bob}", world.bob.public_id) for t in payload["to"]]
    response = _post(client_a, "/api/v1/messages/", payload, **bearer(world.alice))
    assert field in _is_problem(response, 400)["errors"]
    with schema_context(world.tenant_a.schema_name):
        assert not Thread.objects.exists()


def test_bad_patches_and_folders_are_400_problems(client_a, world, bearer):
    thread = _thread(world)
    bob = bearer(world.bob)
    url = f"/api/v1/messages/{thread.public_id}"
    _is_problem(_patch(client_a, url, {}, **bob), 400)
    _is_problem(_patch(client_a, url, {"folder": "deleted"}, **bob), 400)
    _is_problem(client_a.get("/api/v1/messages/?folder=spam", **bob), 400)
    _is_problem(_post(client_a, url, {"body": " "}, **bob), 400)


def test_a_blocked_sender_and_an_invisible_group_are_refused_clearly(client_a, world, bearer):
    with schema_context(world.tenant_a.schema_name):
        person_block(actor=world.bob, person=world.alice)
        secret = group_create(actor=world.bob, title="Secret", visibility="private")
    alice = bearer(world.alice)
    blocked = _post(
        client_a,
        "/api/v1/messages/",
        {"to": [world.bob.public_id], "subject": "s", "body": "b"},
        **alice,
    )
    errors = _is_problem(blocked, 400)["errors"]["to"]
    assert errors == [
        f"{world.bob.public_id}: there is no one with this id who can receive your message."
    ]
    hidden = _post(
        client_a,
        "/api/v1/messages/",
        {"to": [secret.public_id], "subject": "s", "body": "b"},
        **alice,
    )
    assert "no group with this id that you can see" in _is_problem(hidden, 400)["errors"]["to"][0]


def test_threads_are_404_to_non_participants_and_other_institutions(
    client_a, client_b, world, bearer
):
    thread = _thread(world)
    url = f"/api/v1/messages/{thread.public_id}"
    admin = bearer(world.admin_a)
    for response in (
        client_a.get(url, **admin),
        client_a.get(url + "/messages/", **admin),
        _post(client_a, url, {"body": "intrude"}, **admin),
        _patch(client_a, url, {"unread": True}, **admin),
        client_a.delete(url, **admin),
    ):
        assert "Reading group" not in json.dumps(_is_problem(response, 404))
    charlie = bearer(world.charlie, world.tenant_b)
    _is_problem(client_b.get(url, **charlie), 404)
    _is_problem(_post(client_b, url, {"body": "x"}, **charlie), 404)
    _is_problem(client_b.get(url, **bearer(world.bob)), 401)
    refused = _post(
        client_b,
        "/api/v1/messages/",
        {"to": [world.bob.public_id], "subject": "s", "body": "b"},
        **charlie,
    )
    _is_problem(refused, 400)
    _is_problem(client_a.get("/api/v1/messages/"), 401)
    with schema_context(world.tenant_a.schema_name):
        assert ThreadState.objects.filter(thread=thread).count() == 2


def test_folders_and_threads_page_with_bounded_queries(
    client_a, world, django_assert_max_num_queries, bearer
):
    for index in range(12):
        _thread(world, body=f"Message {index}")
    last = _thread(world)
    with schema_context(world.tenant_a.schema_name):
        state = ThreadState.objects.get(thread=last, user=world.alice)
        from tenant_apps.messaging.services import message_reply

        for index in range(11):
            message_reply(actor=world.alice, state=state, body=f"Reply {index}")
    headers = bearer(world.bob)
    for start, expected in (
        ("/api/v1/messages/?limit=5", 13),
        (f"/api/v1/messages/{last.public_id}/messages/?limit=5", 12),
    ):
        client_a.get(start, **headers)
        url, seen = start, []
        while url:
            with django_assert_max_num_queries(5):
                body = client_a.get(url, **headers).json()
            seen += [item["id"] for item in body["results"]]
            url = body["next"]
        assert len(seen) == len(set(seen)) == expected


def test_many_participants_cost_the_same_queries(
    client_a, world, django_assert_max_num_queries, bearer
):
    with schema_context(world.tenant_a.schema_name):
        people = [user_create(username=f"p{i:02d}", display_name=f"P {i:02d}") for i in range(30)]
        thread = message_send(
            actor=world.alice, to=[p.public_id for p in people], subject="All", body="Hi"
        )
    headers = bearer(world.alice)
    client_a.get(f"/api/v1/messages/{thread.public_id}", **headers)
    with django_assert_max_num_queries(5):
        body = client_a.get(f"/api/v1/messages/{thread.public_id}", **headers).json()
    assert body["participant_count"] == 31


def test_unread_counts_and_folders_are_ones_own(client_a, client_b, world, bearer):
    _thread(world)
    assert client_a.get("/api/v1/messages/unread", **bearer(world.admin_a)).json() == {
        "inbox": 0,
        "archive": 0,
        "trash": 0,
    }
    charlie = bearer(world.charlie, world.tenant_b)
    assert client_b.get("/api/v1/messages/unread", **charlie).json()["inbox"] == 0
    assert client_b.get("/api/v1/messages/", **charlie).json()["results"] == []
    _is_problem(client_b.get("/api/v1/messages/unread", **bearer(world.bob)), 401)
