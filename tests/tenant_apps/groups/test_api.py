"""Groups API: every endpoint's permissions, bad input as problems, private groups 404 to
non-members, ids of one institution 404 on another, member lists in bounded keyset pages."""

from __future__ import annotations

import json

import pytest
from django_tenants.utils import schema_context

from tenant_apps.groups.models import GroupMembership
from tenant_apps.groups.services import group_create, group_invite, group_join
from tenant_apps.people.models import User
from tenant_apps.people.services import user_create

pytestmark = pytest.mark.django_db


def _group(world, **values):
    values.setdefault("title", "Medieval history")
    with schema_context(world.tenant_a.schema_name):
        return group_create(actor=values.pop("actor", world.alice), **values)


def _post(client, path, data=None, **headers):
    return client.post(path, json.dumps(data or {}), content_type="application/json", **headers)


def _patch(client, path, data, **headers):
    return client.patch(path, json.dumps(data), content_type="application/json", **headers)


def _is_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def test_creating_reading_editing_and_deleting_a_group(client_a, world, bearer):
    alice = bearer(world.alice)
    created = _post(
        client_a,
        "/api/v1/groups/",
        {"title": "Latin", "visibility": "public", "join_policy": "open"},
        **alice,
    )
    assert created.status_code == 201
    body = created.json()
    assert body["id"].startswith("g_") and body["member_count"] == 1
    assert body["me"] == {"role": "manager", "has_requested": False, "is_invited": False}
    url = f"/api/v1/groups/{body['id']}"
    assert client_a.get(url, **alice).json() == body
    edited = _patch(client_a, url, {"description": "Amo, amas", "join_policy": "request"}, **alice)
    assert (edited.json()["description"], edited.json()["join_policy"]) == ("Amo, amas", "request")
    assert client_a.delete(url, **alice).status_code == 204
    _is_problem(client_a.get(url, **alice), 404)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "title"),
        ({"title": " "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "G", "visibility": "world"}, "visibility"),
        ({"title": "G", "join_policy": "sometimes"}, "join_policy"),
    ],
)
def test_bad_groups_are_400_problems(client_a, world, payload, field, bearer):
    response = _post(client_a, "/api/v1/groups/", payload, **bearer(world.alice))
    assert field in _is_problem(response, 400)["errors"]
    with schema_context(world.tenant_a.schema_name):
        assert not GroupMembership.objects.exists()


def test_only_managers_edit_or_delete(client_a, world, bearer):
    group = _group(world, join_policy="open")
    bob = bearer(world.bob)
    url = f"/api/v1/groups/{group.public_id}"
    _is_problem(_patch(client_a, url, {"title": "Bob's"}, **bob), 403)
    _is_problem(client_a.delete(url, **bob), 403)
    _is_problem(_patch(client_a, url, {}, **bearer(world.alice)), 400)


def test_private_groups_are_404_to_non_members_on_every_path(client_a, world, bearer):
    group = _group(world, visibility="private", join_policy="open")
    bob = bearer(world.bob)
    base = f"/api/v1/groups/{group.public_id}"
    for path in (base, base + "/members/", base + "/requests/", base + "/invitations/"):
        body = _is_problem(client_a.get(path, **bob), 404)
        assert "Medieval" not in json.dumps(body)
    for path in (base + "/join", base + "/leave"):
        _is_problem(_post(client_a, path, **bob), 404)
    _is_problem(_patch(client_a, base, {"title": "x"}, **bob), 404)
    listed = client_a.get("/api/v1/groups/", **bob).json()["results"]
    assert group.public_id not in [g["id"] for g in listed]
    with schema_context(world.tenant_a.schema_name):
        assert not GroupMembership.objects.filter(user=world.bob).exists()


def test_ids_and_tokens_of_another_institution_get_nothing(client_a, client_b, world, bearer):
    group = _group(world, visibility="public", join_policy="open")
    charlie = bearer(world.charlie, world.tenant_b)
    base = f"/api/v1/groups/{group.public_id}"
    for path in (base, base + "/members/", base + "/requests/"):
        _is_problem(client_b.get(path, **charlie), 404)
    _is_problem(_post(client_b, base + "/join", **charlie), 404)
    assert client_b.get("/api/v1/groups/", **charlie).json()["results"] == []
    _is_problem(client_b.get(base, **bearer(world.alice)), 401)


def test_anonymous_visitors_read_public_groups_and_write_nothing(client_a, world):
    public = _group(world, title="Open day", visibility="public")
    _group(world, title="Staff room", visibility="loggedin")
    titles = [g["title"] for g in client_a.get("/api/v1/groups/").json()["results"]]
    assert titles == ["Open day"]
    assert client_a.get(f"/api/v1/groups/{public.public_id}/members/").status_code == 200
    _is_problem(_post(client_a, "/api/v1/groups/", {"title": "x"}), 401)


def test_joining_by_request_and_deciding(client_a, world, bearer):
    group = _group(world, join_policy="request")
    base = f"/api/v1/groups/{group.public_id}"
    bob, alice = bearer(world.bob), bearer(world.alice)
    joined = _post(client_a, base + "/join", **bob)
    assert joined.json()["me"] == {"role": None, "has_requested": True, "is_invited": False}
    _is_problem(client_a.get(base + "/requests/", **bob), 404)
    requests = client_a.get(base + "/requests/", **alice).json()["results"]
    assert [r["person"]["id"] for r in requests] == [world.bob.public_id]
    _is_problem(_post(client_a, f"{base}/requests/{world.bob.public_id}", {}, **alice), 400)
    accepted = _post(
        client_a, f"{base}/requests/{world.bob.public_id}", {"decision": "accept"}, **alice
    )
    assert accepted.json()["role"] == "member"
    _is_problem(
        _post(client_a, f"{base}/requests/{world.bob.public_id}", {"decision": "accept"}, **alice),
        404,
    )


def test_invitations_by_person_id(client_a, world, bearer):
    group = _group(world, visibility="private", join_policy="invitation")
    base = f"/api/v1/groups/{group.public_id}"
    alice, bob = bearer(world.alice), bearer(world.bob)
    _is_problem(_post(client_a, base + "/join", **bob), 404)  # invisible before the invitation
    bad = _post(client_a, base + "/invitations/", {"person": world.charlie.public_id}, **alice)
    assert "person" in _is_problem(bad, 400)["errors"]
    invited = _post(client_a, base + "/invitations/", {"person": world.bob.public_id}, **alice)
    assert invited.status_code == 201 and invited.json()["person"]["id"] == world.bob.public_id
    assert client_a.get(base, **bob).json()["me"]["is_invited"] is True
    _is_problem(
        _post(client_a, base + "/invitations/", {"person": world.bob.public_id}, **bob), 403
    )
    assert _post(client_a, base + "/join", **bob).json()["me"]["role"] == "member"


def test_withdrawing_an_invitation(client_a, world, bearer):
    group = _group(world, join_policy="invitation")
    with schema_context(world.tenant_a.schema_name):
        group_invite(actor=world.alice, group=group, person=world.bob)
    url = f"/api/v1/groups/{group.public_id}/invitations/{world.bob.public_id}"
    _is_problem(client_a.delete(url, **bearer(world.bob)), 404)
    assert client_a.delete(url, **bearer(world.alice)).status_code == 204
    _is_problem(client_a.delete(url, **bearer(world.alice)), 404)


def test_roles_and_the_last_manager(client_a, world, bearer):
    group = _group(world, join_policy="open")
    with schema_context(world.tenant_a.schema_name):
        group_join(actor=world.bob, group=group)
    base = f"/api/v1/groups/{group.public_id}"
    alice, bob = bearer(world.alice), bearer(world.bob)
    last = _post(client_a, base + "/leave", **alice)
    assert "at least one manager" in json.dumps(_is_problem(last, 400))
    demote = _patch(
        client_a, f"{base}/members/{world.alice.public_id}", {"role": "member"}, **alice
    )
    _is_problem(demote, 400)
    _is_problem(
        _patch(client_a, f"{base}/members/{world.bob.public_id}", {"role": "manager"}, **bob), 403
    )
    _is_problem(
        _patch(client_a, f"{base}/members/{world.bob.public_id}", {"role": "king"}, **alice), 400
    )
    _is_problem(
        _patch(client_a, f"{base}/members/{world.admin_a.public_id}", {"role": "member"}, **alice),
        404,
    )
    promoted = _patch(
        client_a, f"{base}/members/{world.bob.public_id}", {"role": "manager"}, **alice
    )
    assert promoted.json()["role"] == "manager"
    assert _post(client_a, base + "/leave", **alice).status_code == 204
    assert client_a.delete(f"{base}/members/{world.bob.public_id}", **bob).status_code == 400


def test_members_are_shown_by_public_id_and_name_only(client_a, world, bearer):
    group = _group(world, join_policy="open")
    response = client_a.get(f"/api/v1/groups/{group.public_id}/members/", **bearer(world.bob))
    member = response.json()["results"][0]
    assert member["person"]["id"] == world.alice.public_id
    assert member["person"]["display_name"] == "Alice Archer"
    text = response.content.decode()
    assert "alice@example.edu" not in text and '"alice"' not in text


def test_member_lists_page_by_cursor_with_bounded_queries(
    client_a, world, django_assert_max_num_queries, bearer
):
    group = _group(world, join_policy="open")
    with schema_context(world.tenant_a.schema_name):
        for index in range(30):
            person = user_create(username=f"m{index:02d}", display_name=f"Member {index:02d}")
            group_join(actor=person, group=group)
    headers = bearer(world.bob)
    url = f"/api/v1/groups/{group.public_id}/members/?limit=7"
    client_a.get(url, **headers)  # warm the host cache
    seen = []
    while url:
        with django_assert_max_num_queries(5):
            body = client_a.get(url, **headers).json()
        seen += [m["person"]["id"] for m in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 31
    forged = f"/api/v1/groups/{group.public_id}/members/?cursor=bm9wZQ"
    _is_problem(client_a.get(forged, **headers), 404)


def test_the_group_list_and_my_groups(client_a, world, bearer):
    _group(world, title="B group", join_policy="open")
    mine = _group(world, title="A group", actor=world.bob)
    bob = bearer(world.bob)
    titles = [g["title"] for g in client_a.get("/api/v1/groups/", **bob).json()["results"]]
    assert titles == ["A group", "B group"]
    mine_only = client_a.get("/api/v1/groups/?mine=true", **bob).json()["results"]
    assert [g["id"] for g in mine_only] == [mine.public_id]


def test_a_read_only_institution_refuses_group_writes(client_a, world, bearer):
    from shared_apps.audit.services import Actor
    from tenants.services import tenant_suspend

    group = _group(world, join_policy="open")
    tenant_suspend(tenant=world.tenant_a, actor=Actor.system("test"))
    bob = bearer(world.bob)
    assert client_a.get(f"/api/v1/groups/{group.public_id}", **bob).status_code == 200
    _is_problem(_post(client_a, f"/api/v1/groups/{group.public_id}/join", **bob), 423)
    with schema_context(world.tenant_a.schema_name):
        assert not User.objects.get(pk=world.bob.pk).group_memberships.exists()


def test_invitation_only_groups_refuse_the_uninvited(client_a, world, bearer):
    group = _group(world, join_policy="invitation")
    response = _post(client_a, f"/api/v1/groups/{group.public_id}/join", **bearer(world.bob))
    assert "invitation only" in _is_problem(response, 403).get("detail", "")
    with schema_context(world.tenant_a.schema_name):
        assert not GroupMembership.objects.filter(user=world.bob).exists()


@pytest.mark.parametrize(
    ("method", "suffix", "payload"),
    [
        ("get", "", None),
        ("patch", "", {"title": "x"}),
        ("delete", "", None),
        ("get", "/members/", None),
        ("patch", "/members/{alice}", {"role": "member"}),
        ("delete", "/members/{alice}", None),
        ("post", "/join", {}),
        ("post", "/leave", {}),
        ("get", "/requests/", None),
        ("post", "/requests/{alice}", {"decision": "accept"}),
        ("get", "/invitations/", None),
        ("post", "/invitations/", {"person": "{alice}"}),
        ("delete", "/invitations/{alice}", None),
    ],
)
def test_every_group_endpoint_is_404_with_ids_of_another_institution(
    client_b, world, method, suffix, payload, bearer
):
    group = _group(world, visibility="public", join_policy="open")
    alice = world.alice.public_id
    path = f"/api/v1/groups/{group.public_id}{suffix.replace('{alice}', alice)}"
    body = json.dumps(payload).replace("{alice}", alice) if payload is not None else None
    call = getattr(client_b, method)
    headers = bearer(world.charlie, world.tenant_b)
    response = (
        call(path, body, content_type="application/json", **headers)
        if body is not None
        else call(path, **headers)
    )
    assert "Medieval" not in json.dumps(_is_problem(response, 404))
    with schema_context(world.tenant_a.schema_name):
        assert GroupMembership.objects.filter(group=group).count() == 1
