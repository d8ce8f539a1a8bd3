"""Folders in search: found by their title and description, only by people who may see
them (the folders' own rule, in SQL: never one in the trash), never in another
institution; a bounded number of queries."""

from __future__ import annotations

import pytest

from tenant_apps.folders.services import (
    folder_create,
    folder_delete,
    folder_restore,
    folder_share,
    folder_update,
)
from tests.conftest import sign_in
from tests.tenant_apps.search.conftest import ids

pytestmark = pytest.mark.django_db


def test_folders_are_found_by_those_who_may_see_them(world, in_a, search_api, client_b, bearer):
    open_folder = in_a(
        folder_create,
        actor=world.alice,
        title="Herbarium scans",
        description="Pressed ferns & mosses",
        visibility="loggedin",
    )
    secret = in_a(
        folder_create,
        actor=world.alice,
        title="Herbarium budget",
        description="Numbers",
        visibility="private",
    )
    trashed = in_a(
        folder_create,
        actor=world.alice,
        title="Herbarium archive",
        description="Old ferns",
        visibility="loggedin",
    )
    in_a(folder_delete, actor=world.alice, folder=trashed)

    everything = search_api({"q": "herbarium"}, user=world.alice)
    assert set(ids(everything)) == {open_folder.public_id, secret.public_id}
    assert everything.json()["counts"]["folders"] == 2
    found = search_api({"q": "herbarium", "type": "folders"}, user=world.bob)
    assert ids(found) == [open_folder.public_id]
    assert found.json()["counts"] == {"folders": 1}
    row = found.json()["results"][0]
    assert row["type"] == "folder" and row["url"] == f"/folders/{open_folder.public_id}"
    assert row["title"] == "Herbarium scans" and row["visibility"] == "loggedin"
    assert "<mark>Herbarium</mark>" in row["title_html"]
    by_description = search_api({"q": "mosses", "type": "folders"}, user=world.bob)
    assert ids(by_description) == [open_folder.public_id]
    assert "&amp;amp;" not in by_description.content.decode()
    # The trashed folder is found by no one, not even its manager.
    assert ids(search_api({"q": "archive", "type": "folders"}, user=world.alice)) == []
    assert ids(search_api({"q": "herbarium"})) == []  # visitors: none is public
    in_a(folder_share, actor=world.alice, folder=secret, principals=[world.bob], role="viewer")
    assert set(ids(search_api({"q": "herbarium", "type": "folders"}, user=world.bob))) == {
        open_folder.public_id,
        secret.public_id,
    }
    # The trigger follows a rename and a new description; a restored folder is found again.
    in_a(folder_update, actor=world.alice, folder=secret, title="Funds", description="Lichens")
    assert ids(search_api({"q": "lichens", "type": "folders"}, user=world.bob)) == [
        secret.public_id
    ]
    assert ids(search_api({"q": "funds", "type": "folders"}, user=world.bob)) == [secret.public_id]
    in_a(folder_restore, actor=world.alice, folder=trashed)
    assert ids(search_api({"q": "archive", "type": "folders"}, user=world.bob)) == [
        trashed.public_id
    ]
    charlie = bearer(world.charlie, world.tenant_b)
    for params in ({"q": "herbarium"}, {"q": "herbarium", "type": "folders"}):
        elsewhere = client_b.get("/api/v1/search/", params, **charlie)
        assert elsewhere.status_code == 200 and elsewhere.json()["results"] == []
        assert open_folder.public_id not in elsewhere.content.decode()


def test_the_search_page_shows_folders_with_their_own_tab(world, in_a, client_a):
    folder = in_a(
        folder_create,
        actor=world.alice,
        title="Mineral samples",
        description="Quartz and feldspar",
        visibility="loggedin",
    )
    sign_in(client_a, world.bob, world.tenant_a)
    page = client_a.get("/search/", {"q": "quartz"}).content.decode()
    assert f'href="/folders/{folder.public_id}"' in page
    assert "Folders (1)" in page and ">folder</span>" in page
    only = client_a.get("/search/", {"q": "quartz", "type": "folders"}).content.decode()
    assert f'href="/folders/{folder.public_id}"' in only
    spanish = client_a.get("/search/", {"q": "quartz"}, HTTP_ACCEPT_LANGUAGE="es")
    assert "Carpetas (1)" in spanish.content.decode()
    assert ">carpeta</span>" in spanish.content.decode()
    german = client_a.get("/search/", {"q": "quartz"}, HTTP_ACCEPT_LANGUAGE="de")
    assert "Ordner (1)" in german.content.decode()
    assert ">Ordner</span>" in german.content.decode()


def test_searching_many_folders_costs_a_bounded_number_of_queries(
    world, in_a, search_api, django_assert_max_num_queries
):
    for n in range(12):
        folder = in_a(
            folder_create,
            actor=world.alice,
            title=f"Geology folder {n}",
            description=f"Rocks of site {n}",
            visibility="private" if n % 3 else "loggedin",
        )
        if n % 2:
            in_a(
                folder_share,
                actor=world.alice,
                folder=folder,
                principals=[world.bob],
                role="viewer",
            )
    search_api({"q": "geology"}, user=world.bob)
    with django_assert_max_num_queries(14):
        everything = search_api({"q": "geology"}, user=world.bob)
    # Bob sees the four open ones and the six shared with him (two of them also open).
    assert len(ids(everything)) == 8
    with django_assert_max_num_queries(12):
        only = search_api({"q": "geology", "type": "folders"}, user=world.bob)
    assert set(ids(only)) == set(ids(everything))
