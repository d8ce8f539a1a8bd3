"""Folders API: ids of one institution are 404 on another, the caller sees only what the
rules allow, bad input is a 400 problem with nothing written, lists cost a fixed number
of queries."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tenant_apps.content.services import content_add_link
from tenant_apps.folders.models import Folder, FolderItem
from tenant_apps.groups.services import group_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(world, bearer):
    return bearer(world.alice, world.tenant_a)


@pytest.fixture
def bob(world, bearer):
    return bearer(world.bob, world.tenant_a)


@pytest.fixture
def charlie(world, bearer):
    return bearer(world.charlie, world.tenant_b)


def _links(world, count, *, visibility="private", user=None):
    with schema_context(world.tenant_a.schema_name):
        return [
            content_add_link(
                actor=user or world.alice,
                url=f"https://example.org/{n}",
                title=f"Link {n}",
                visibility=visibility,
            ).public_id
            for n in range(count)
        ]


def _folder(client_a, alice, **fields) -> dict:
    response = client_a.post(
        "/api/v1/folders/", {"title": "Week 1", **fields}, content_type="application/json", **alice
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_a_folder_is_created_and_read_back(client_a, alice):
    body = _folder(client_a, alice, description="Readings", visibility="loggedin")
    assert body["id"].startswith("f_") and body["can_manage"] is True
    assert body["created_by"]["id"].startswith("u_")
    again = client_a.get(f"/api/v1/folders/{body['id']}", **alice).json()
    assert again == body
    listed = client_a.get("/api/v1/folders/", **alice).json()
    assert body["id"] in [f["id"] for f in listed["results"]]


@pytest.mark.parametrize(
    "payload",
    [{"title": ""}, {"title": "x" * 201}, {"title": "ok", "visibility": "everyone"}, {}],
)
def test_bad_input_is_a_problem_and_nothing_is_written(client_a, alice, world, payload):
    with schema_context(world.tenant_a.schema_name):
        before = Folder.objects.count()
    response = client_a.post("/api/v1/folders/", payload, content_type="application/json", **alice)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    with schema_context(world.tenant_a.schema_name):
        assert Folder.objects.count() == before


def test_another_institution_gets_404_for_every_folder_endpoint(
    client_a, client_b, alice, charlie, world
):
    folder = _folder(client_a, alice, visibility="public")
    items = _links(world, 1, visibility="public")
    client_a.post(
        f"/api/v1/folders/{folder['id']}/items/",
        {"items": items},
        content_type="application/json",
        **alice,
    )
    base = f"/api/v1/folders/{folder['id']}"
    for method, path, body in [
        ("get", base, None),
        ("patch", base, {"title": "Mine now"}),
        ("delete", base, None),
        ("get", base + "/items/", None),
        ("post", base + "/items/", {"items": items}),
        ("delete", base + "/items/", {"items": items}),
        ("get", base + "/members/", None),
        ("post", base + "/members/", {"principals": ["u_x"]}),
        ("get", base + "/activity/", None),
        ("post", f"/api/v1/trash/{folder['id']}/restore", None),
    ]:
        kwargs = {"content_type": "application/json", "data": body} if body else {}
        response = getattr(client_b, method)(path, **kwargs, **charlie)
        assert response.status_code == 404, (method, path, response.content)
        assert "Week 1" not in response.content.decode()
    with schema_context(world.tenant_a.schema_name):
        assert Folder.objects.get(public_id=folder["id"]).title == "Week 1"


def test_a_peer_without_a_share_gets_404_for_a_private_folder(client_a, alice, bob):
    folder = _folder(client_a, alice)
    assert client_a.get(f"/api/v1/folders/{folder['id']}", **bob).status_code == 404
    assert client_a.get(f"/api/v1/folders/{folder['id']}/items/", **bob).status_code == 404
    response = client_a.patch(
        f"/api/v1/folders/{folder['id']}", {"title": "x"}, content_type="application/json", **bob
    )
    assert response.status_code == 404


def test_a_viewer_may_read_but_not_change(client_a, alice, bob, world):
    folder = _folder(client_a, alice)
    response = client_a.post(
        f"/api/v1/folders/{folder['id']}/members/",
        {"principals": [world.bob.public_id], "role": "viewer"},
        content_type="application/json",
        **alice,
    )
    assert response.status_code == 201
    assert response.json()[0] == {
        "type": "person",
        "id": world.bob.public_id,
        "name": "Bob Baker",
        "role": "viewer",
    }
    assert client_a.get(f"/api/v1/folders/{folder['id']}", **bob).json()["can_manage"] is False
    items = _links(world, 1, user=world.bob)
    response = client_a.post(
        f"/api/v1/folders/{folder['id']}/items/",
        {"items": items},
        content_type="application/json",
        **bob,
    )
    assert response.status_code == 404
    assert client_a.delete(f"/api/v1/folders/{folder['id']}", **bob).status_code == 404


def test_bulk_add_and_remove(client_a, alice, world):
    folder = _folder(client_a, alice)
    ids = _links(world, 3)
    url = f"/api/v1/folders/{folder['id']}/items/"
    response = client_a.post(url, {"items": ids}, content_type="application/json", **alice)
    assert response.json() == {"added": 3}
    listed = client_a.get(url, **alice).json()
    assert [i["id"] for i in listed["results"]] == list(ids)  # one call: its order
    response = client_a.delete(url, {"items": ids[:2]}, content_type="application/json", **alice)
    assert response.json() == {"removed": 2}
    assert [i["id"] for i in client_a.get(url, **alice).json()["results"]] == [ids[2]]


@pytest.mark.parametrize(
    "payload",
    [{"items": []}, {"items": "c_x"}, {"items": ["c_x"] * 101}, {}, {"items": ["c_nosuch"]}],
)
def test_bulk_bad_input_is_a_400_and_nothing_changes(client_a, alice, world, payload):
    folder = _folder(client_a, alice)
    url = f"/api/v1/folders/{folder['id']}/items/"
    response = client_a.post(url, payload, content_type="application/json", **alice)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    with schema_context(world.tenant_a.schema_name):
        assert not FolderItem.objects.filter(folder__public_id=folder["id"]).exists()


def test_someone_elses_private_item_cannot_be_added(client_a, alice, world):
    folder = _folder(client_a, alice)
    bobs = _links(world, 1, user=world.bob)
    response = client_a.post(
        f"/api/v1/folders/{folder['id']}/items/",
        {"items": bobs},
        content_type="application/json",
        **alice,
    )
    assert response.status_code == 400
    assert "items" in response.json()["errors"]


def test_the_item_list_costs_the_same_for_any_page(
    client_a, alice, world, django_assert_max_num_queries
):
    folder = _folder(client_a, alice)
    ids = _links(world, 30, visibility="loggedin")
    url = f"/api/v1/folders/{folder['id']}/items/"
    client_a.post(url, {"items": ids}, content_type="application/json", **alice)
    with django_assert_max_num_queries(6):
        first = client_a.get(url + "?limit=10", **alice).json()
    assert len(first["results"]) == 10 and first["next"]
    with django_assert_max_num_queries(6):
        second = client_a.get(first["next"], **alice).json()
    assert len(second["results"]) == 10
    assert not {i["id"] for i in first["results"]} & {i["id"] for i in second["results"]}


def test_folder_list_and_feed_cost_a_fixed_number_of_queries(
    client_a, alice, world, django_assert_max_num_queries
):
    for n in range(5):
        _folder(client_a, alice, title=f"F{n}")
    with django_assert_max_num_queries(5):
        assert len(client_a.get("/api/v1/folders/", **alice).json()["results"]) >= 5
    folder = _folder(client_a, alice, title="Feed")
    with django_assert_max_num_queries(8):
        feed = client_a.get(f"/api/v1/folders/{folder['id']}/activity/", **alice).json()
    assert feed["results"][0]["object"] == {"type": "folder", "id": folder["id"], "title": "Feed"}


def test_a_groups_folders_are_listed_for_those_who_may_see_them(client_a, alice, bob, world):
    with schema_context(world.tenant_a.schema_name):
        group = group_create(actor=world.alice, title="Lab", visibility="public")
    folder = _folder(client_a, alice, title="Lab notes")
    response = client_a.post(
        f"/api/v1/folders/{folder['id']}/members/",
        {"principals": [group.public_id], "role": "viewer"},
        content_type="application/json",
        **alice,
    )
    assert response.status_code == 201 and response.json()[0]["type"] == "group"
    url = f"/api/v1/groups/{group.public_id}/folders/"
    assert [f["id"] for f in client_a.get(url, **alice).json()["results"]] == [folder["id"]]
    assert client_a.get(url, **bob).json()["results"] == []  # Bob is not in the group


def test_no_email_or_username_in_folder_answers(client_a, alice, bob, world):
    folder = _folder(client_a, alice, visibility="loggedin")
    text = client_a.get(f"/api/v1/folders/{folder['id']}", **bob).content.decode()
    assert "alice@example.edu" not in text and '"alice"' not in text
