"""Discussions API: start, read, edit, delete, reply (threaded), follow, members; another
institution's caller and a peer without access get 404; bad input is a problem; pages cost
a bounded number of queries."""

from __future__ import annotations

import json

import pytest
from django_tenants.utils import tenant_context

from tenant_apps.discussions.services import discussion_create, reply_create
from tenant_apps.groups.services import group_create

pytestmark = pytest.mark.django_db


def _post(client, path, data=None, **headers):
    return client.post(path, json.dumps(data or {}), content_type="application/json", **headers)


def _patch(client, path, data, **headers):
    return client.patch(path, json.dumps(data), content_type="application/json", **headers)


def _is_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def test_starting_reading_and_replying(client_a, world, bearer):
    alice, bob = bearer(world.alice), bearer(world.bob)
    made = _post(
        client_a,
        "/api/v1/discussions/",
        {
            "title": "Exam dates",
            "body": "<b>When?</b><script>x</script>",
            "mentions": [world.bob.public_id],
        },
        **alice,
    )
    assert made.status_code == 201, made.content
    topic = made.json()
    assert topic["id"].startswith("d_") and topic["body"] == "<b>When?</b>"
    assert topic["visibility"] == "loggedin" and topic["group"] is None
    assert topic["me"] == {"can_manage": True, "follows": True}
    assert topic["mentions"] == [{"id": world.bob.public_id, "display_name": "Bob Baker"}]
    url = f"/api/v1/discussions/{topic['id']}"
    first = _post(client_a, url + "/replies/", {"body": "Friday"}, **bob)
    assert first.status_code == 201 and first.json()["id"].startswith("dr_")
    answer = _post(
        client_a, url + "/replies/", {"body": "Sure?", "parent": first.json()["id"]}, **alice
    )
    assert answer.json()["parent"] == first.json()["id"] and answer.json()["depth"] == 1
    _post(client_a, url + "/replies/", {"body": "Later"}, **alice)
    replies = client_a.get(url + "/replies/", **bob).json()["results"]
    assert [r["body"] for r in replies] == ["Friday", "Sure?", "Later"]
    assert replies[0]["author"] == {"id": world.bob.public_id, "display_name": "Bob Baker"}
    listed = client_a.get("/api/v1/discussions/", **bob).json()["results"]
    assert [(d["id"], d["reply_count"]) for d in listed] == [(topic["id"], 3)]
    assert client_a.get(url, **bob).json()["me"] == {"can_manage": False, "follows": True}
    text = json.dumps(replies) + json.dumps(listed)
    assert "bob@example.edu" not in text and '"bob"' not in text


def test_editing_deleting_and_following(client_a, world, bearer):
    alice, bob = bearer(world.alice), bearer(world.bob)
    topic = _post(client_a, "/api/v1/discussions/", {"title": "T", "body": "B"}, **alice).json()
    url = f"/api/v1/discussions/{topic['id']}"
    assert _patch(client_a, url, {"title": "Mine"}, **bob).status_code == 403
    assert (
        _patch(client_a, url, {"title": "Ours", "visibility": "public"}, **alice).json()["title"]
        == "Ours"
    )
    assert client_a.get(url).status_code == 200  # public: visitors read it
    assert _post(client_a, url + "/follow", **bob).json()["follows"] is True
    assert client_a.delete(url + "/follow", **bob).json()["follows"] is False
    assert client_a.delete(url, **bob).status_code == 403
    assert client_a.delete(url, **alice).status_code == 204
    _is_problem(client_a.get(url, **alice), 404)


def test_members_of_a_private_topic(client_a, world, bearer):
    alice, bob = bearer(world.alice), bearer(world.bob)
    topic = _post(
        client_a,
        "/api/v1/discussions/",
        {"title": "T", "body": "B", "visibility": "private"},
        **alice,
    ).json()
    url = f"/api/v1/discussions/{topic['id']}"
    _is_problem(client_a.get(url, **bob), 404)
    _is_problem(client_a.get(url + "/replies/", **bob), 404)
    _is_problem(_post(client_a, url + "/replies/", {"body": "hi"}, **bob), 404)
    _is_problem(client_a.get(url + "/members/", **bob), 404)
    added = _post(client_a, url + "/members/", {"person": world.bob.public_id}, **alice)
    assert added.status_code == 201 and added.json()["role"] == "member"
    assert client_a.get(url, **bob).status_code == 200
    members = client_a.get(url + "/members/", **alice).json()["results"]
    assert [m["person"]["id"] for m in members] == [world.alice.public_id, world.bob.public_id]
    assert client_a.delete(f"{url}/members/{world.bob.public_id}", **bob).status_code == 204
    _is_problem(client_a.get(url, **bob), 404)


def test_another_institution_gets_404_for_every_path(client_b, world, bearer):
    with tenant_context(world.tenant_a):
        topic = discussion_create(actor=world.alice, title="T", body="B", visibility="public")
        reply = reply_create(actor=world.alice, discussion=topic, body="R")
    charlie = bearer(world.charlie, world.tenant_b)
    url = f"/api/v1/discussions/{topic.public_id}"
    for path in (url, url + "/replies/", url + "/members/"):
        body = _is_problem(client_b.get(path, **charlie), 404)
        assert body.get("title") != "T" and reply.public_id not in json.dumps(body)
    _is_problem(_post(client_b, url + "/replies/", {"body": "x"}, **charlie), 404)
    _is_problem(_post(client_b, url + "/follow", **charlie), 404)
    _is_problem(_patch(client_b, url, {"title": "x"}, **charlie), 404)
    assert client_b.get("/api/v1/discussions/", **charlie).json()["results"] == []
    # An id of the other institution as a mention or a group is unknown here.
    made = _post(
        client_b,
        "/api/v1/discussions/",
        {"title": "T", "body": "B", "mentions": [world.alice.public_id]},
        **charlie,
    )
    assert "mentions" in _is_problem(made, 400)["errors"]


def test_bad_input_is_a_problem_and_nothing_is_written(client_a, world, bearer):
    alice = bearer(world.alice)
    bad = _post(
        client_a,
        "/api/v1/discussions/",
        {"title": "", "body": "x" * 50_001, "visibility": "all"},
        **alice,
    )
    assert set(_is_problem(bad, 400)["errors"]) >= {"title", "body", "visibility"}
    empty = _post(
        client_a, "/api/v1/discussions/", {"title": "T", "body": "<script></script>"}, **alice
    )
    assert "body" in _is_problem(empty, 400)["errors"]
    _is_problem(
        _post(
            client_a,
            "/api/v1/discussions/",
            {"title": "T", "body": "B", "group": "g_nope"},
            **alice,
        ),
        404,
    )
    assert client_a.get("/api/v1/discussions/", **alice).json()["results"] == []
    topic = _post(client_a, "/api/v1/discussions/", {"title": "T", "body": "B"}, **alice).json()
    url = f"/api/v1/discussions/{topic['id']}"
    _is_problem(
        _post(client_a, url + "/replies/", {"body": "x", "parent": "dr_nope"}, **alice), 404
    )
    _is_problem(_post(client_a, url + "/replies/", {"body": "x", "mentions": "u_x"}, **alice), 400)
    _is_problem(_patch(client_a, url, {}, **alice), 400)
    _is_problem(client_a.get(url + "/replies/?cursor=garbage", **alice), 404)
    # Visitors may read public topics but neither start nor reply.
    assert client_a.post("/api/v1/discussions/", {}).status_code in (401, 403)


def test_a_groups_discussions(client_a, world, bearer):
    with tenant_context(world.tenant_a):
        group = group_create(actor=world.alice, title="Seminar", visibility="private")
    alice, bob = bearer(world.alice), bearer(world.bob)
    made = _post(
        client_a,
        "/api/v1/discussions/",
        {"title": "T", "body": "B", "group": group.public_id},
        **alice,
    )
    assert made.json()["group"] == {"id": group.public_id, "title": "Seminar"}
    listed = client_a.get(f"/api/v1/discussions/?group={group.public_id}", **alice).json()
    assert [d["id"] for d in listed["results"]] == [made.json()["id"]]
    _is_problem(client_a.get(f"/api/v1/discussions/?group={group.public_id}", **bob), 404)
    _is_problem(client_a.get(f"/api/v1/discussions/{made.json()['id']}", **bob), 404)


def test_lists_cost_a_bounded_number_of_queries(
    client_a, world, bearer, django_assert_max_num_queries
):
    alice = bearer(world.alice)
    with tenant_context(world.tenant_a):
        people = [world.alice, world.bob]
        topics = [
            discussion_create(
                actor=world.alice, title=f"T{n}", body="B", mentions=[world.bob.public_id]
            )
            for n in range(30)
        ]
        for n in range(30):
            reply_create(
                actor=people[n % 2],
                discussion=topics[0],
                body=f"R{n}",
                mentions=[world.bob.public_id] if n % 3 else [],
            )
    with django_assert_max_num_queries(12):
        page = client_a.get("/api/v1/discussions/?limit=25", **alice).json()
    assert len(page["results"]) == 25 and page["next"]
    with django_assert_max_num_queries(12):
        replies = client_a.get(
            f"/api/v1/discussions/{topics[0].public_id}/replies/?limit=25", **alice
        ).json()
    assert len(replies["results"]) == 25
    with django_assert_max_num_queries(12):
        client_a.get(replies["next"], **alice)
