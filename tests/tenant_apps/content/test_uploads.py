"""Uploading many files: each through the single upload write path (the API's POST, one
request per file), into the library or into a group's library; and the no-JavaScript
form for one file."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tenant_apps.blobs.models import Blob
from tenant_apps.content.models import ContentItem, Share
from tenant_apps.groups.services import group_create, group_join
from tests.conftest import sign_in
from tests.tenant_apps.content.conftest import png_bytes, random_bytes, upload_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(world):
    with schema_context(world.tenant_a.schema_name):
        made = group_create(actor=world.alice, title="Cell biology", join_policy="open")
        group_join(actor=world.bob, group=made)
        return made


def _upload(client, path: str, data: bytes, headers: dict, name: str = "notes.bin", **fields):
    return client.post(path, {"file": upload_file(data, name), **fields}, **headers)


def test_a_member_uploads_files_into_the_groups_library(world, group, client_a, bearer):
    bob = bearer(world.bob, world.tenant_a)
    path = f"/api/v1/groups/{group.public_id}/content/"
    made = [
        _upload(client_a, path, random_bytes(), bob, name=f"part{n}.bin").json() for n in range(3)
    ]
    assert {row["title"] for row in made} == {"part0.bin", "part1.bin", "part2.bin"}
    listed = client_a.get(path, **bearer(world.alice, world.tenant_a)).json()["results"]
    assert {row["id"] for row in listed} >= {row["id"] for row in made}
    with schema_context(world.tenant_a.schema_name):
        for row in made:
            item = ContentItem.objects.get(public_id=row["id"])
            assert item.created_by_id == world.bob.pk
            assert Share.objects.filter(item=item, group=group, role="viewer").exists()


def test_identical_files_uploaded_into_a_group_are_stored_once(world, group, client_a, bearer):
    bob = bearer(world.bob, world.tenant_a)
    data = random_bytes(4096)
    for n in range(3):
        answer = _upload(
            client_a, f"/api/v1/groups/{group.public_id}/content/", data, bob, name=f"c{n}.bin"
        )
        assert answer.status_code == 201
    import hashlib

    with schema_context(world.tenant_a.schema_name):
        blob = Blob.objects.get(sha256=hashlib.sha256(data).hexdigest())
        assert blob.refs == 3


def test_outsiders_cannot_upload_into_a_members_only_library(world, group, client_a, bearer):
    with schema_context(world.tenant_a.schema_name):
        before = ContentItem.objects.count()
    answer = _upload(
        client_a,
        f"/api/v1/groups/{group.public_id}/content/",
        random_bytes(),
        bearer(world.admin_a, world.tenant_a),  # sees the group, is not a member
    )
    assert answer.status_code == 400
    assert "group" in answer.json()["errors"]
    with schema_context(world.tenant_a.schema_name):
        assert ContentItem.objects.count() == before


def test_another_institution_gets_404_and_nothing_is_written(world, group, client_b, bearer):
    charlie = bearer(world.charlie, world.tenant_b)
    with schema_context(world.tenant_a.schema_name):
        before = ContentItem.objects.count()
    answer = _upload(
        client_b, f"/api/v1/groups/{group.public_id}/content/", random_bytes(), charlie
    )
    assert answer.status_code == 404
    assert answer["Content-Type"].startswith("application/problem+json")
    with schema_context(world.tenant_a.schema_name):
        assert ContentItem.objects.count() == before


def test_bad_group_uploads_are_refused_clearly(world, group, client_a, bearer):
    bob = bearer(world.bob, world.tenant_a)
    path = f"/api/v1/groups/{group.public_id}/content/"
    with schema_context(world.tenant_a.schema_name):
        before = ContentItem.objects.count()
    missing = client_a.post(path, {"title": "no file"}, **bob)
    assert missing.status_code == 400 and "file" in missing.json()["errors"]
    bad = _upload(client_a, path, random_bytes(), bob, visibility="everyone")
    assert bad.status_code == 400 and "visibility" in bad.json()["errors"]
    anonymous = client_a.post(path, {"file": upload_file(random_bytes())})
    assert anonymous.status_code in (401, 403)
    with schema_context(world.tenant_a.schema_name):
        assert ContentItem.objects.count() == before


def test_the_one_file_form_uploads_into_the_group_without_javascript(world, group):
    bob = sign_in(Client(HTTP_HOST=world.host_a), world.bob, world.tenant_a)
    form = bob.get(f"/content/new?kind=file&group={group.public_id}").content.decode()
    assert 'id="upload-into-group"' in form and "Cell biology" in form
    answer = bob.post(
        f"/content/new?kind=file&group={group.public_id}",
        {"kind": "file", "file": upload_file(png_bytes(), "cell.png"), "visibility": "private"},
    )
    assert answer.status_code == 302
    with schema_context(world.tenant_a.schema_name):
        item = ContentItem.objects.get(title="cell.png")
        assert Share.objects.filter(item=item, group=group).exists()


def test_the_one_file_form_gives_404_for_a_group_of_another_institution(world, group):
    charlie = sign_in(Client(HTTP_HOST=world.host_b), world.charlie, world.tenant_b)
    assert charlie.get(f"/content/new?kind=file&group={group.public_id}").status_code == 404


def test_library_pages_offer_the_upload_box_to_those_who_may_upload(world, group):
    bob = sign_in(Client(HTTP_HOST=world.host_a), world.bob, world.tenant_a)
    mine = bob.get("/content/").content.decode()
    assert 'id="upload-zone"' in mine and 'data-endpoint="/api/v1/content/"' in mine
    assert "content/upload.js" in mine and "<script>" not in mine
    library = bob.get(f"/groups/{group.public_id}/library").content.decode()
    assert f'data-endpoint="/api/v1/groups/{group.public_id}/content/"' in library
    anonymous = Client(HTTP_HOST=world.host_a).get(f"/groups/{group.public_id}/library")
    assert 'id="upload-zone"' not in anonymous.content.decode()


def test_the_one_file_form_refuses_an_outsider_of_the_group_with_the_reason(world, group):
    admin = sign_in(Client(HTTP_HOST=world.host_a), world.admin_a, world.tenant_a)
    with schema_context(world.tenant_a.schema_name):
        before = ContentItem.objects.count()
    answer = admin.post(
        f"/content/new?kind=file&group={group.public_id}",
        {"kind": "file", "file": upload_file(png_bytes(), "x.png"), "visibility": "private"},
    )
    assert answer.status_code == 400
    assert "may add to this library" in answer.content.decode()
    with schema_context(world.tenant_a.schema_name):
        assert ContentItem.objects.count() == before


def test_the_upload_boxs_words_come_from_the_translated_template(world):
    page = sign_in(Client(HTTP_HOST=world.host_a), world.bob, world.tenant_a).get(
        "/content/", HTTP_ACCEPT_LANGUAGE="en"
    )
    html = page.content.decode()
    assert 'data-text-summary="{done} of {total} uploaded"' in html
    assert 'data-text-uploaded="Uploaded: open {title}"' in html
