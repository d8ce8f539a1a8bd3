"""Group pictures: managers set, replace and remove them (API and pages), stored once per
distinct picture in the blob store (SeaweedFS in the test stack) with every reference
counted, served only to people who may see the group."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django_tenants.utils import schema_context
from PIL import Image

from tenant_apps.blobs.models import Blob
from tenant_apps.blobs.services import blob_collect_garbage
from tenant_apps.blobs.storage import blob_key, blob_storage, object_keys
from tenant_apps.groups.models import Group
from tenant_apps.groups.services import (
    group_create,
    group_delete,
    group_join,
    group_picture_remove,
    group_picture_set,
    group_purge,
)
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def _image(colour=(200, 30, 30), size=(300, 200), fmt="JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()


def _upload(data: bytes, name: str = "picture.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def _put_picture(client, path, data: bytes | None, **headers):
    fields = {"picture": _upload(data)} if data is not None else {"other": "x"}
    return client.put(
        path, encode_multipart(BOUNDARY, fields), content_type=MULTIPART_CONTENT, **headers
    )


def _is_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def _group(world, **values) -> Group:
    values.setdefault("title", "Medieval history")
    with schema_context(world.tenant_a.schema_name):
        return group_create(actor=values.pop("actor", world.alice), **values)


def _blob_of(world, group: Group) -> Blob | None:
    with schema_context(world.tenant_a.schema_name):
        picture_id = Group.objects.get(pk=group.pk).picture_id
        return Blob.objects.get(pk=picture_id) if picture_id else None


def _blob_count(world) -> int:
    with schema_context(world.tenant_a.schema_name):
        return Blob.objects.count()


def _refs(world, blob: Blob) -> int:
    with schema_context(world.tenant_a.schema_name):
        return Blob.objects.get(pk=blob.pk).refs


def test_a_manager_sets_reads_and_removes_the_picture_in_the_api(client_a, world, bearer):
    group = _group(world, visibility="loggedin")
    alice = bearer(world.alice)
    url = f"/api/v1/groups/{group.public_id}"
    assert client_a.get(url, **alice).json()["picture"] is None
    saved = _put_picture(client_a, url + "/picture", _image(), **alice)
    assert saved.status_code == 200, saved.content
    picture_url = saved.json()["picture"]
    assert picture_url == f"http://{world.host_a}{url}/picture"
    assert client_a.get(url, **alice).json()["picture"] == picture_url
    listed = client_a.get("/api/v1/groups/", **alice).json()["results"]
    assert [g["picture"] for g in listed] == [picture_url]

    served = client_a.get(url + "/picture", **alice)
    data = b"".join(served.streaming_content)
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["ETag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    with Image.open(io.BytesIO(data)) as picture:
        assert (picture.format, picture.size) == ("PNG", (256, 256))
    blob = _blob_of(world, group)
    assert blob.sha256 == hashlib.sha256(data).hexdigest() and blob.refs == 1
    assert blob_storage().exists(blob_key(world.tenant_a.uuid, blob.sha256))

    removed = client_a.delete(url + "/picture", **alice)
    assert removed.status_code == 200 and removed.json()["picture"] is None
    _is_problem(client_a.get(url + "/picture", **alice), 404)
    with schema_context(world.tenant_a.schema_name):
        released = Blob.objects.get(pk=blob.pk)
    assert released.refs == 0 and released.unreferenced_since is not None


@pytest.mark.parametrize(
    "data",
    [
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"%PDF-1.4 not a picture",
        b"",
        None,  # no picture part at all
    ],
)
def test_bad_pictures_are_400_problems_and_store_nothing(client_a, world, data, bearer):
    group = _group(world)
    before = _blob_count(world)
    response = _put_picture(
        client_a, f"/api/v1/groups/{group.public_id}/picture", data, **bearer(world.alice)
    )
    body = _is_problem(response, 400)
    assert body["errors"]["picture"]
    assert _blob_of(world, group) is None
    assert _blob_count(world) == before


def test_only_managers_change_the_picture(client_a, world, bearer):
    group = _group(world, join_policy="open")
    with schema_context(world.tenant_a.schema_name):
        group_join(actor=world.bob, group=group)
    bob = bearer(world.bob)
    path = f"/api/v1/groups/{group.public_id}/picture"
    before = _blob_count(world)
    _is_problem(_put_picture(client_a, path, _image(), **bob), 403)
    _is_problem(client_a.delete(path, **bob), 403)
    _is_problem(_put_picture(client_a, path, _image()), 401)
    assert _blob_count(world) == before


def test_pictures_of_groups_one_may_not_see_are_404(client_a, client_b, world, bearer):
    private = _group(world, title="Staff", visibility="private")
    loggedin = _group(world, title="Campus", visibility="loggedin")
    public = _group(world, title="Open day", visibility="public")
    with schema_context(world.tenant_a.schema_name):
        for group in (private, loggedin, public):
            group_picture_set(actor=world.alice, group=group, source=io.BytesIO(_image()))
    bob = bearer(world.bob)
    base = f"/api/v1/groups/{private.public_id}/picture"
    _is_problem(client_a.get(base, **bob), 404)
    _is_problem(_put_picture(client_a, base, _image(), **bob), 404)
    _is_problem(client_a.delete(base, **bob), 404)
    sign_in(client_a, world.bob, world.tenant_a)
    assert client_a.get(f"/groups/{private.public_id}/picture").status_code == 404
    assert client_a.get(f"/groups/{loggedin.public_id}/picture").status_code == 200
    visitor = client_a.__class__(HTTP_HOST=world.host_a)
    assert visitor.get(f"/groups/{loggedin.public_id}/picture").status_code == 404
    assert visitor.get(f"/groups/{public.public_id}/picture").status_code == 200
    assert visitor.get(f"/api/v1/groups/{public.public_id}/picture").status_code == 200
    charlie = bearer(world.charlie, world.tenant_b)
    sign_in(client_b, world.charlie, world.tenant_b)
    for group in (private, public):
        path = f"/api/v1/groups/{group.public_id}/picture"
        assert "Open day" not in json.dumps(_is_problem(client_b.get(path, **charlie), 404))
        _is_problem(_put_picture(client_b, path, _image(), **charlie), 404)
        _is_problem(client_b.delete(path, **charlie), 404)
        assert client_b.get(f"/groups/{group.public_id}/picture").status_code == 404
    assert _blob_of(world, public).refs == 3


def test_one_picture_for_two_groups_is_stored_once_and_counted_twice(world):
    first = _group(world, title="First")
    second = _group(world, title="Second")
    red, blue = _image((200, 30, 30)), _image((30, 30, 200))
    with schema_context(world.tenant_a.schema_name):
        group_picture_set(actor=world.alice, group=first, source=io.BytesIO(red))
        group_picture_set(actor=world.alice, group=second, source=io.BytesIO(red))
    shared = _blob_of(world, first)
    assert _blob_of(world, second).pk == shared.pk and _refs(world, shared) == 2
    assert object_keys(blob_storage(), world.tenant_a.uuid).count(shared.sha256) == 1

    with schema_context(world.tenant_a.schema_name):
        group_picture_set(actor=world.alice, group=first, source=io.BytesIO(blue))
    replacement = _blob_of(world, first)
    assert replacement.pk != shared.pk
    assert (_refs(world, shared), _refs(world, replacement)) == (1, 1)

    with schema_context(world.tenant_a.schema_name):  # the same picture again: no change
        group_picture_set(actor=world.alice, group=second, source=io.BytesIO(red))
    assert (_refs(world, shared), _refs(world, replacement)) == (1, 1)

    with schema_context(world.tenant_a.schema_name):
        group_picture_remove(actor=world.alice, group=first)
        group_picture_remove(actor=world.alice, group=first)  # harmless twice
    assert (_refs(world, shared), _refs(world, replacement)) == (1, 0)


def test_deleting_a_group_releases_its_picture_for_the_collector(world):
    kept = _group(world, title="Kept")
    gone = _group(world, title="Gone")
    red, blue = _image((200, 30, 30)), _image((30, 30, 200))
    with schema_context(world.tenant_a.schema_name):
        group_picture_set(actor=world.alice, group=kept, source=io.BytesIO(red))
        group_picture_set(actor=world.alice, group=gone, source=io.BytesIO(red))
        group_picture_set(actor=world.alice, group=gone, source=io.BytesIO(blue))
    red_blob, blue_blob = _blob_of(world, kept), _blob_of(world, gone)
    with schema_context(world.tenant_a.schema_name):
        group_delete(actor=world.alice, group=gone)
    assert _refs(world, blue_blob) == 1  # in the trash: restorable with its picture
    with schema_context(world.tenant_a.schema_name):
        group_purge(group=gone)
    assert (_refs(world, red_blob), _refs(world, blue_blob)) == (1, 0)
    with schema_context(world.tenant_a.schema_name):
        assert blob_collect_garbage(tenant=world.tenant_a, grace=timedelta(0)) >= 1
        left = set(Blob.objects.values_list("pk", flat=True))
    assert red_blob.pk in left and blue_blob.pk not in left
    keys = object_keys(blob_storage(), world.tenant_a.uuid)
    assert red_blob.sha256 in keys and blue_blob.sha256 not in keys


def test_a_miscounted_picture_is_not_collected_under_its_group(world):
    group = _group(world)
    with schema_context(world.tenant_a.schema_name):
        group_picture_set(actor=world.alice, group=group, source=io.BytesIO(_image()))
    blob = _blob_of(world, group)
    with schema_context(world.tenant_a.schema_name):
        Blob.objects.filter(pk=blob.pk).update(refs=0, unreferenced_since=blob.created)
        blob_collect_garbage(tenant=world.tenant_a, grace=timedelta(0))
        assert Blob.objects.filter(pk=blob.pk).exists()
    assert blob_storage().exists(blob_key(world.tenant_a.uuid, blob.sha256))


def test_a_read_only_institution_refuses_picture_changes(client_a, world, bearer):
    from shared_apps.audit.services import Actor
    from tenants.services import tenant_suspend

    group = _group(world)
    tenant_suspend(tenant=world.tenant_a, actor=Actor.system("test"))
    path = f"/api/v1/groups/{group.public_id}/picture"
    response = _put_picture(client_a, path, _image(), **bearer(world.alice))
    _is_problem(response, 423)
    assert _blob_of(world, group) is None


# --- pages ---------------------------------------------------------------------------
def test_managers_upload_replace_and_remove_the_picture_on_the_edit_page(client_a, world):
    group = _group(world, visibility="public")
    sign_in(client_a, world.alice, world.tenant_a)
    edit = f"/groups/{group.public_id}/edit"
    form = client_a.get(edit).content.decode()
    assert 'enctype="multipart/form-data"' in form and "The group has no picture yet." in form
    target = f"/groups/{group.public_id}/picture/edit"
    saved = client_a.post(target, {"action": "upload", "picture": _upload(_image())})
    assert saved.status_code == 302 and saved["Location"] == edit
    img = f'src="/groups/{group.public_id}/picture"'
    assert img in client_a.get(f"/groups/{group.public_id}").content.decode()
    assert img in client_a.get("/groups/").content.decode()
    assert "Replace the picture" in client_a.get(edit).content.decode()
    served = client_a.get(f"/groups/{group.public_id}/picture")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    first = _blob_of(world, group)

    client_a.post(target, {"action": "upload", "picture": _upload(_image((0, 120, 0)))})
    second = _blob_of(world, group)
    assert second.pk != first.pk and (_refs(world, first), _refs(world, second)) == (0, 1)

    removed = client_a.post(target, {"action": "remove"}, follow=True)
    assert "The picture is removed." in removed.content.decode()
    assert _blob_of(world, group) is None and _refs(world, second) == 0
    assert img not in client_a.get(f"/groups/{group.public_id}").content.decode()


def test_a_bad_file_on_the_page_gets_a_message(client_a, world):
    group = _group(world)
    sign_in(client_a, world.alice, world.tenant_a)
    target = f"/groups/{group.public_id}/picture/edit"
    svg = SimpleUploadedFile("x.svg", b"<svg><script>alert(1)</script></svg>", "image/svg+xml")
    refused = client_a.post(target, {"action": "upload", "picture": svg})
    html = refused.content.decode()
    assert refused.status_code == 400
    assert 'role="alert"' in html and "not a picture we can use" in html
    empty = client_a.post(target, {"action": "upload"})
    assert empty.status_code == 400 and 'id="picture-errors"' in empty.content.decode()
    assert _blob_of(world, group) is None


def test_others_may_not_change_the_picture_on_the_page(client_a, client_b, world):
    group = _group(world, join_policy="open")
    private = _group(world, title="Staff", visibility="private")
    sign_in(client_a, world.bob, world.tenant_a)
    before = _blob_count(world)
    target = f"/groups/{group.public_id}/picture/edit"
    assert client_a.post(target, {"picture": _upload(_image())}).status_code == 403
    hidden = f"/groups/{private.public_id}/picture/edit"
    assert client_a.post(hidden, {"picture": _upload(_image())}).status_code == 404
    sign_in(client_b, world.charlie, world.tenant_b)
    assert client_b.post(target, {"picture": _upload(_image())}).status_code == 404
    assert _blob_count(world) == before
