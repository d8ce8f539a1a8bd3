"""Folder pages: creating, adding and removing items with the forms (no JavaScript),
sharing, what a viewer sees; other institutions and peers without a share get a 404."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context

from tenant_apps.content.services import content_add_link
from tenant_apps.folders.models import Folder, FolderItem
from tenant_apps.folders.services import folder_create, folder_items_add
from tenant_apps.groups.services import group_create
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def _links(world, count, *, visibility="private", user=None):
    with schema_context(world.tenant_a.schema_name):
        return [
            content_add_link(
                actor=user or world.alice,
                url=f"https://example.org/{n}",
                title=f"Reading {n}",
                visibility=visibility,
            )
            for n in range(count)
        ]


def test_a_folder_is_made_filled_and_emptied_through_the_pages(client_a, world):
    items = _links(world, 3)
    sign_in(client_a, world.alice, world.tenant_a)
    assert client_a.get("/folders/").status_code == 200
    bad = client_a.post("/folders/new", {"title": "", "visibility": "private"})
    assert bad.status_code == 400 and "This field is required" in bad.content.decode()
    made = client_a.post(
        "/folders/new", {"title": "Week 3", "description": "", "visibility": "private"}
    )
    assert made.status_code == 302
    url = made["Location"]
    page = client_a.get(url).content.decode()
    assert "Add the selected items" in page and "Reading 2" in page
    client_a.post(f"{url}/items", {"action": "add", "items": [i.public_id for i in items[:2]]})
    page = client_a.get(url).content.decode()
    assert re.findall(r">(Reading \d)</a>", page) == ["Reading 0", "Reading 1"]
    client_a.post(f"{url}/items", {"action": "remove", "items": [items[0].public_id]})
    page = client_a.get(url).content.decode()
    assert re.findall(r">(Reading \d)</a>", page) == ["Reading 1"]
    assert "added 2 items to Week 3" in page  # the folder's feed
    listing = client_a.get("/folders/").content.decode()
    assert "Week 3" in listing


def test_bad_additions_show_an_error_and_change_nothing(client_a, world):
    bobs = _links(world, 1, user=world.bob)
    with schema_context(world.tenant_a.schema_name):
        folder = folder_create(actor=world.alice, title="Guarded")
    sign_in(client_a, world.alice, world.tenant_a)
    response = client_a.post(
        f"/folders/{folder.public_id}/items",
        {"action": "add", "items": [bobs[0].public_id]},
        follow=True,
    )
    assert "No such item" in response.content.decode()
    with schema_context(world.tenant_a.schema_name):
        assert not FolderItem.objects.filter(folder=folder).exists()
    assert client_a.post(f"/folders/{folder.public_id}/items", {"action": "x"}).status_code == 404


def test_a_viewer_sees_only_the_items_they_may_see_and_no_manage_forms(client_a, world):
    secret, shown = _links(world, 1)[0], _links(world, 1, visibility="loggedin")[0]
    with schema_context(world.tenant_a.schema_name):
        folder = folder_create(actor=world.alice, title="Open folder", visibility="loggedin")
        folder_items_add(
            actor=world.alice, folder=folder, item_ids=[secret.public_id, shown.public_id]
        )
    # Both are titled "Reading 0": tell them apart by id.
    sign_in(client_a, world.bob, world.tenant_a)
    page = client_a.get(f"/folders/{folder.public_id}").content.decode()
    assert shown.public_id in page and secret.public_id not in page
    assert "Add the selected items" not in page and "Members" not in page
    response = client_a.post(
        f"/folders/{folder.public_id}/items", {"action": "remove", "items": [shown.public_id]}
    )
    assert response.status_code == 404


def test_other_institutions_and_peers_without_a_share_get_404(client_a, client_b, world):
    with schema_context(world.tenant_a.schema_name):
        folder = folder_create(actor=world.alice, title="Private notes")
    sign_in(client_b, world.charlie, world.tenant_b)
    sign_in(client_a, world.bob, world.tenant_a)
    base = f"/folders/{folder.public_id}"
    for client in (client_a, client_b):
        for path in (base, f"{base}/share", f"/trash/delete/{folder.public_id}"):
            response = client.get(path)
            assert response.status_code == 404
            assert "Private notes" not in response.content.decode()
        for path in (f"{base}/edit", f"{base}/items", f"{base}/unshare"):
            assert client.post(path, {"title": "x", "action": "add"}).status_code == 404
    with schema_context(world.tenant_a.schema_name):
        assert Folder.objects.get(pk=folder.pk).title == "Private notes"


def test_sharing_into_a_group_puts_the_folder_on_the_groups_page(client_a, world):
    with schema_context(world.tenant_a.schema_name):
        group = group_create(actor=world.alice, title="Reading circle", visibility="loggedin")
        folder = folder_create(actor=world.alice, title="Circle texts")
    sign_in(client_a, world.alice, world.tenant_a)
    response = client_a.post(
        f"/folders/{folder.public_id}/share", {"principals": "Reading circle", "role": "viewer"}
    )
    assert response.status_code == 302
    page = client_a.get(f"/groups/{group.public_id}").content.decode()
    assert "Circle texts" in page


def test_the_folder_page_costs_a_fixed_number_of_queries(
    client_a, world, django_assert_max_num_queries
):
    items = _links(world, 60, visibility="loggedin")
    with schema_context(world.tenant_a.schema_name):
        folder = folder_create(actor=world.alice, title="Big", visibility="loggedin")
        folder_items_add(actor=world.alice, folder=folder, item_ids=[i.public_id for i in items])
    sign_in(client_a, world.bob, world.tenant_a)
    url = f"/folders/{folder.public_id}"
    with django_assert_max_num_queries(14):
        first = client_a.get(url).content.decode()
    after = re.search(r"after=(c_[a-z2-7]+)", first).group(1)
    with django_assert_max_num_queries(15):
        second = client_a.get(f"{url}?after={after}").content.decode()
    titles = re.findall(r'href="/content/(c_[a-z2-7]+)"', first + second)
    assert len(titles) == len(set(titles)) == 60
    assert client_a.get(f"{url}?after=c_nosuch").status_code == 404
