"""Trash pages and API: the confirmation says what will go, the trash lists and restores,
the trash period is set on the institution's admin page and API."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tenant_apps.content.services import content_add_link, content_delete, content_share
from tenant_apps.folders.services import folder_create, folder_items_add
from tenant_apps.groups.services import group_create
from tenant_apps.institution.models import InstitutionProfile
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def _link(world, title="Slides", user=None):
    with schema_context(world.tenant_a.schema_name):
        return content_add_link(actor=user or world.alice, url="https://example.org/s", title=title)


def test_deleting_an_item_shows_what_goes_then_moves_it_to_the_trash(client_a, world):
    item = _link(world)
    with schema_context(world.tenant_a.schema_name):
        content_share(actor=world.alice, item=item, principals=[world.bob], role="viewer")
        folder = folder_create(actor=world.alice, title="F")
        folder_items_add(actor=world.alice, folder=folder, item_ids=[item.public_id])
    sign_in(client_a, world.alice, world.tenant_a)
    item_page = client_a.get(f"/content/{item.public_id}").content.decode()
    assert f"/trash/delete/{item.public_id}" in item_page
    confirm = client_a.get(f"/trash/delete/{item.public_id}").content.decode()
    assert "shared with 1 person" in confirm and "disappears from 1 folder" in confirm
    assert "30 days" in confirm
    assert client_a.post(f"/trash/delete/{item.public_id}").status_code == 302
    assert client_a.get(f"/content/{item.public_id}").status_code == 404
    trash = client_a.get("/trash/").content.decode()
    assert "Slides" in trash
    assert client_a.post(f"/trash/{item.public_id}/restore").status_code == 302
    assert client_a.get(f"/content/{item.public_id}").status_code == 200


def test_a_group_deletion_is_confirmed_on_its_own_page(client_a, world):
    with schema_context(world.tenant_a.schema_name):
        group = group_create(actor=world.alice, title="Choir")
    sign_in(client_a, world.alice, world.tenant_a)
    confirm = client_a.get(f"/trash/delete/{group.public_id}").content.decode()
    assert "1 member loses the group" in confirm
    client_a.post(f"/trash/delete/{group.public_id}")
    assert client_a.get(f"/groups/{group.public_id}").status_code == 404
    sign_in(client_a, world.bob, world.tenant_a)
    assert "The trash is empty" in client_a.get("/trash/").content.decode()
    assert client_a.post(f"/trash/{group.public_id}/restore").status_code == 404


def test_only_managers_reach_the_confirmation(client_a, client_b, world):
    item = _link(world)
    with schema_context(world.tenant_a.schema_name):
        content_share(actor=world.alice, item=item, principals=[world.bob], role="viewer")
    sign_in(client_a, world.bob, world.tenant_a)
    assert client_a.get(f"/trash/delete/{item.public_id}").status_code == 404
    assert client_a.post(f"/trash/delete/{item.public_id}").status_code == 404
    sign_in(client_b, world.charlie, world.tenant_b)
    assert client_b.get(f"/trash/delete/{item.public_id}").status_code == 404
    assert client_b.get("/trash/delete/x_unknown").status_code == 404


def test_the_trash_api_lists_and_restores(client_a, client_b, world, bearer):
    alice, bob = bearer(world.alice), bearer(world.bob)
    charlie = bearer(world.charlie, world.tenant_b)
    items = [_link(world, title=f"T{n}") for n in range(3)]
    with schema_context(world.tenant_a.schema_name):
        for item in items:
            content_delete(actor=world.alice, item=item)
    first = client_a.get("/api/v1/trash/?limit=2", **alice).json()
    assert [e["id"] for e in first["results"]] == [items[2].public_id, items[1].public_id]
    assert set(first["results"][0]) == {"type", "id", "title", "deleted_at", "purge_at"}
    second = client_a.get(first["next"], **alice).json()
    assert [e["id"] for e in second["results"]] == [items[0].public_id]
    assert second["next"] is None
    assert client_a.get("/api/v1/trash/", **bob).json()["results"] == []
    assert client_a.get("/api/v1/trash/?cursor=garbage&limit=x", **alice).status_code == 200
    target = f"/api/v1/trash/{items[0].public_id}/restore"
    assert client_a.post(target, **bob).status_code == 404
    assert client_b.post(target, **charlie).status_code == 404
    assert client_a.post("/api/v1/trash/zz/restore", **alice).status_code == 404
    restored = client_a.post(target, **alice)
    assert restored.status_code == 200
    assert restored.json() == {"type": "content", "id": items[0].public_id, "title": "T0"}
    assert client_a.get(f"/api/v1/content/{items[0].public_id}", **alice).status_code == 200
    assert client_a.post(target, **alice).status_code == 404  # no longer in the trash


def test_the_trash_api_costs_a_fixed_number_of_queries(
    client_a, world, bearer, django_assert_max_num_queries
):
    alice = bearer(world.alice)
    with schema_context(world.tenant_a.schema_name):
        for n in range(12):
            content_delete(
                actor=world.alice,
                item=content_add_link(
                    actor=world.alice, url="https://example.org/q", title=f"Q{n}"
                ),
            )
    # Authentication, the period, one read per kind: the same for every page, once the
    # process has read what it keeps (the terms' number: a cold process's one query).
    client_a.get("/api/v1/trash/?limit=1", **alice)
    with django_assert_max_num_queries(9):
        body = client_a.get("/api/v1/trash/?limit=5", **alice).json()
    with django_assert_max_num_queries(9):
        client_a.get(body["next"], **alice)


def test_the_trash_period_is_set_on_the_admin_page_and_api(client_a, world, bearer):
    admin = bearer(world.admin_a)
    response = client_a.patch(
        "/api/v1/admin/institution",
        {"trash_days": 0},
        content_type="application/json",
        **admin,
    )
    assert response.status_code == 400
    response = client_a.patch(
        "/api/v1/admin/institution", {"trash_days": 14}, content_type="application/json", **admin
    )
    assert response.status_code == 200 and response.json()["trash_days"] == 14
    sign_in(client_a, world.admin_a, world.tenant_a)
    page = client_a.get("/manage/institution").content.decode()
    assert 'name="trash_days"' in page and 'value="14"' in page
    with schema_context(world.tenant_a.schema_name):
        profile = InstitutionProfile.objects.get()
    response = client_a.post(
        "/manage/institution",
        {
            "name": profile.name,
            "primary_colour": profile.primary_colour,
            "default_visibility": profile.default_visibility,
            "registration_domains": "",
            "trash_days": "45",
        },
    )
    assert response.status_code == 302
    with schema_context(world.tenant_a.schema_name):
        assert InstitutionProfile.objects.get().trash_days == 45
    bob = bearer(world.bob)
    assert client_a.patch(
        "/api/v1/admin/institution", {"trash_days": 2}, content_type="application/json", **bob
    ).status_code in (403, 404)
