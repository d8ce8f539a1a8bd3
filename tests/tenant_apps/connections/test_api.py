"""Connections API: invite, accept, decline, cancel, remove, block; lists in cursor pages;
bad input as problems; others' and other institutions' ids 404."""

from __future__ import annotations

import json

import pytest
from django_tenants.utils import schema_context

from tenant_apps.connections.models import Connection
from tenant_apps.connections.services import connection_accept, connection_invite
from tenant_apps.people.services import user_create

pytestmark = pytest.mark.django_db


def _post(client, path, data=None, **headers):
    return client.post(path, json.dumps(data or {}), content_type="application/json", **headers)


def _is_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def test_inviting_accepting_and_removing(client_a, world, bearer):
    alice, bob = bearer(world.alice), bearer(world.bob)
    invited = _post(client_a, "/api/v1/connections/", {"person": world.bob.public_id}, **alice)
    assert invited.status_code == 201
    body = invited.json()
    assert body["id"].startswith("k_")
    assert (body["status"], body["direction"], body["person"]["id"]) == (
        "pending",
        "outgoing",
        world.bob.public_id,
    )
    incoming = client_a.get("/api/v1/connections/?status=incoming", **bob).json()["results"]
    assert [c["id"] for c in incoming] == [body["id"]]
    assert incoming[0]["person"] == {"id": world.alice.public_id, "display_name": "Alice Archer"}
    url = f"/api/v1/connections/{body['id']}"
    _is_problem(client_a.patch(url, "{}", content_type="application/json", **bob), 400)
    _is_problem(
        client_a.patch(url, '{"status": "accepted"}', content_type="application/json", **alice),
        403,
    )
    accepted = client_a.patch(url, '{"status": "accepted"}', content_type="application/json", **bob)
    assert accepted.json()["status"] == "accepted"
    assert [c["id"] for c in client_a.get("/api/v1/connections/", **alice).json()["results"]] == [
        body["id"]
    ]
    assert client_a.delete(url, **alice).status_code == 204
    _is_problem(client_a.get(url, **bob), 404)


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "person"), ({"person": "u_nosuch"}, "person"), ({"person": "x" * 41}, "person")],
)
def test_bad_invitations_are_400_problems(client_a, world, payload, field, bearer):
    response = _post(client_a, "/api/v1/connections/", payload, **bearer(world.alice))
    assert field in _is_problem(response, 400)["errors"]


def test_a_bad_list_name_is_a_400_problem(client_a, world, bearer):
    response = client_a.get("/api/v1/connections/?status=all", **bearer(world.alice))
    assert "status" in _is_problem(response, 400)["errors"]


def test_only_the_two_people_see_a_connection(client_a, client_b, world, bearer):
    with schema_context(world.tenant_a.schema_name):
        connection = connection_invite(actor=world.alice, person=world.bob)
    url = f"/api/v1/connections/{connection.public_id}"
    admin = bearer(world.admin_a)
    _is_problem(client_a.get(url, **admin), 404)
    _is_problem(client_a.delete(url, **admin), 404)
    charlie = bearer(world.charlie, world.tenant_b)
    _is_problem(client_b.get(url, **charlie), 404)
    invite = _post(client_b, "/api/v1/connections/", {"person": world.alice.public_id}, **charlie)
    _is_problem(invite, 400)
    _is_problem(client_b.get("/api/v1/connections/", **bearer(world.alice)), 401)
    with schema_context(world.tenant_a.schema_name):
        assert Connection.objects.filter(pk=connection.pk).exists()


def test_blocking_ends_the_connection_and_stops_invitations(client_a, world, bearer):
    alice, bob = bearer(world.alice), bearer(world.bob)
    with schema_context(world.tenant_a.schema_name):
        connection_accept(
            actor=world.bob, connection=connection_invite(actor=world.alice, person=world.bob)
        )
    blocked = _post(
        client_a, "/api/v1/connections/blocks/", {"person": world.bob.public_id}, **alice
    )
    assert blocked.status_code == 201
    assert client_a.get("/api/v1/connections/", **alice).json()["results"] == []
    blocks = client_a.get("/api/v1/connections/blocks/", **alice).json()["results"]
    assert [b["person"]["id"] for b in blocks] == [world.bob.public_id]
    refused = _post(client_a, "/api/v1/connections/", {"person": world.alice.public_id}, **bob)
    assert "block" not in json.dumps(_is_problem(refused, 400)).lower()
    _is_problem(client_a.delete(f"/api/v1/connections/blocks/{world.bob.public_id}", **bob), 404)
    unblock = client_a.delete(f"/api/v1/connections/blocks/{world.bob.public_id}", **alice)
    assert unblock.status_code == 204
    assert (
        _post(
            client_a, "/api/v1/connections/", {"person": world.alice.public_id}, **bob
        ).status_code
        == 201
    )


def test_connection_lists_page_by_cursor_with_bounded_queries(
    client_a, world, django_assert_max_num_queries, bearer
):
    with schema_context(world.tenant_a.schema_name):
        for index in range(12):
            person = user_create(username=f"c{index:02d}", display_name=f"Peer {index:02d}")
            connection_accept(
                actor=world.alice, connection=connection_invite(actor=person, person=world.alice)
            )
    headers = bearer(world.alice)
    url = "/api/v1/connections/?limit=5"
    client_a.get(url, **headers)
    seen = []
    while url:
        with django_assert_max_num_queries(4):
            body = client_a.get(url, **headers).json()
        seen += [c["person"]["id"] for c in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 12


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("get", "/api/v1/connections/{k}", None),
        ("patch", "/api/v1/connections/{k}", {"status": "accepted"}),
        ("delete", "/api/v1/connections/{k}", None),
        ("post", "/api/v1/connections/", {"person": "{bob}"}),
        ("post", "/api/v1/connections/blocks/", {"person": "{bob}"}),
        ("delete", "/api/v1/connections/blocks/{bob}", None),
    ],
)
def test_every_connection_endpoint_refuses_ids_of_another_institution(
    client_b, world, method, path, payload, bearer
):
    with schema_context(world.tenant_a.schema_name):
        connection = connection_invite(actor=world.alice, person=world.bob)
    ids = {"{k}": connection.public_id, "{bob}": world.bob.public_id}
    for marker, value in ids.items():
        path = path.replace(marker, value)
    body = json.dumps(payload) if payload is not None else None
    for marker, value in ids.items():
        body = body.replace(marker, value) if body else body
    headers = bearer(world.charlie, world.tenant_b)
    call = getattr(client_b, method)
    response = (
        call(path, body, content_type="application/json", **headers)
        if body is not None
        else call(path, **headers)
    )
    # An id of another institution is unknown here: 404, or 400 for an id in a body.
    problem = _is_problem(response, 400 if method == "post" else 404)
    assert "Bob" not in json.dumps(problem) and "Alice" not in json.dumps(problem)
    with schema_context(world.tenant_a.schema_name):
        assert Connection.objects.filter(pk=connection.pk, status="pending").exists()
