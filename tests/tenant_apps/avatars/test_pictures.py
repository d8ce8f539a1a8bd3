"""Profile pictures and the institution's logo: stored once through the blob store, shown to
whoever may see the person's name, refused when not a picture, 404 across institutions."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context
from PIL import Image

from tenant_apps.avatars.models import Avatar
from tenant_apps.blobs.models import Blob
from tenant_apps.blobs.storage import blob_key, blob_storage
from tenant_apps.institution.models import AdminAction, InstitutionProfile
from tenant_apps.people.models import User
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


def _png(colour=(10, 120, 200), size=(300, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def _upload(name="me.png", data=None, field="picture"):
    return {field: SimpleUploadedFile(name, data if data is not None else _png())}


def _put(client, path, data, **extra):
    from django.test.client import encode_multipart

    return client.put(
        path,
        encode_multipart("BoUnDaRy", data),
        content_type="multipart/form-data; boundary=BoUnDaRy",
        **extra,
    )


def _refs(world, sha: str) -> int:
    with schema_context(world.tenant_a.schema_name):
        return Blob.objects.get(sha256=sha).refs


def test_a_picture_is_stored_once_and_shown_to_those_who_see_the_name(world, client_a, bearer):
    alice = bearer(world.alice)
    answer = _put(client_a, "/api/v1/me/picture", _upload(), **alice)
    assert answer.status_code == 200, answer.content
    url = answer.json()["picture"]
    assert url.startswith(f"/people/{world.alice.public_id}/picture?v=")
    with schema_context(world.tenant_a.schema_name):
        sha = Avatar.objects.get(user=world.alice).blob.sha256
        assert User.objects.get(pk=world.alice.pk).picture_sha256 == sha
    assert blob_storage().exists(blob_key(world.tenant_a.uuid, sha))
    # Bob (signed in) sees it; the picture is a PNG served inline with its hash as ETag.
    bob_browser = sign_in(Client(HTTP_HOST=world.host_a), world.bob, world.tenant_a)
    picture = bob_browser.get(url)
    assert picture.status_code == 200
    assert picture["Content-Type"] == "image/png" and picture["ETag"] == f'"{sha}"'
    assert picture["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(b"".join(picture.streaming_content))) as image:
        assert image.size == (256, 256)
    # The directory and the people API link it for Bob.
    person = client_a.get(f"/api/v1/people/{world.alice.public_id}", **bearer(world.bob))
    assert person.json()["picture"] == url
    # Anonymous visitors may not see Alice's name (signed-in members only): no picture either.
    assert Client().get(url, HTTP_HOST=world.host_a).status_code == 404
    assert (
        "picture"
        not in Client()
        .get(f"/api/v1/people/{world.alice.public_id}", HTTP_HOST=world.host_a)
        .json()
    )
    # Bob uploading the same picture adds a reference, not an object.
    _put(client_a, "/api/v1/me/picture", _upload("copy.png"), **bearer(world.bob))
    assert _refs(world, sha) == 2


def test_a_private_name_hides_the_picture(world, client_a, bearer):
    alice = bearer(world.alice)
    url = _put(client_a, "/api/v1/me/picture", _upload(), **alice).json()["picture"]
    client_a.patch(
        "/api/v1/me",
        {"display_name_visibility": "private"},
        content_type="application/json",
        **alice,
    )
    assert (
        sign_in(Client(HTTP_HOST=world.host_a), world.bob, world.tenant_a).get(url).status_code
        == 404
    )
    own = sign_in(Client(HTTP_HOST=world.host_a), world.alice, world.tenant_a)
    assert own.get(url).status_code == 200  # her own, always


def test_replacing_and_removing_release_the_old_picture(world, client_a, bearer):
    alice = bearer(world.alice)
    _put(client_a, "/api/v1/me/picture", _upload(), **alice)
    with schema_context(world.tenant_a.schema_name):
        first = Avatar.objects.get(user=world.alice).blob.sha256
    _put(client_a, "/api/v1/me/picture", _upload(data=_png((0, 0, 0))), **alice)
    with schema_context(world.tenant_a.schema_name):
        second = Avatar.objects.get(user=world.alice).blob.sha256
    assert first != second
    assert _refs(world, first) == 0 and _refs(world, second) == 1
    assert client_a.delete("/api/v1/me/picture", **alice).status_code == 204
    assert _refs(world, second) == 0
    with schema_context(world.tenant_a.schema_name):
        assert not Avatar.objects.filter(user=world.alice).exists()
        assert User.objects.get(pk=world.alice.pk).picture_sha256 == ""


@pytest.mark.parametrize(
    "data", [b"<svg onload='alert(1)'/>", b"<html><script>alert(1)</script>", b"not an image"]
)
def test_what_is_not_a_picture_is_refused_and_nothing_is_stored(world, client_a, data, bearer):
    with schema_context(world.tenant_a.schema_name):
        before = Blob.objects.count()
    answer = _put(client_a, "/api/v1/me/picture", _upload("x.png", data), **bearer(world.alice))
    assert answer.status_code == 400 and answer["Content-Type"] == PROBLEM
    assert "not a picture we can use" in str(answer.json()["errors"]["picture"])
    with schema_context(world.tenant_a.schema_name):
        assert Blob.objects.count() == before


def test_pictures_are_404_from_another_institution(world, client_a, client_b, bearer):
    url = _put(client_a, "/api/v1/me/picture", _upload(), **bearer(world.alice)).json()["picture"]
    charlie = sign_in(Client(HTTP_HOST=world.host_b), world.charlie, world.tenant_b)
    assert charlie.get(url).status_code == 404
    charlie.defaults["HTTP_HOST"] = world.host_a  # Charlie's session means nothing here
    assert charlie.get(url).status_code == 404
    assert _put(client_b, "/api/v1/me/picture", _upload(), **bearer(world.alice)).status_code == 401


def test_the_profile_page_uploads_and_removes_a_picture(world, client_a):
    sign_in(client_a, world.alice, world.tenant_a)
    answer = client_a.post("/me/picture", _upload(), follow=True)
    assert b"Your picture is saved." in answer.content
    assert b'alt="Your current picture"' in answer.content
    refused = client_a.post("/me/picture", _upload("x.png", b"GIF89a nope"), follow=True)
    assert b"not a picture we can use" in refused.content and b'role="alert"' in refused.content
    page = client_a.get(f"/people/{world.alice.public_id}")
    assert b'alt="Picture of Alice Archer"' in page.content
    removed = client_a.post("/me/picture", {"remove": "1"}, follow=True)
    assert b"Your picture is removed." in removed.content
    assert Client().post("/me/picture", _upload(), HTTP_HOST=world.host_a).status_code == 302


def test_admins_brand_the_institution_with_a_logo(world, client_a, bearer):
    admin = bearer(world.admin_a)
    assert (
        _put(
            client_a,
            "/api/v1/admin/institution/logo",
            _upload(field="logo"),
            **bearer(world.bob),
        ).status_code
        == 403
    )
    answer = _put(
        client_a,
        "/api/v1/admin/institution/logo",
        _upload(field="logo", data=_png(size=(1200, 300))),
        **admin,
    )
    assert answer.status_code == 200, answer.content
    logo = Client().get("/institution/logo", HTTP_HOST=world.host_a)  # public, like the name
    assert logo.status_code == 200 and logo["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(b"".join(logo.streaming_content))) as image:
        assert image.size == (400, 100)
    home = Client().get("/", HTTP_HOST=world.host_a)
    assert b'class="logo"' in home.content
    assert Client().get("/institution/logo", HTTP_HOST=world.host_b).status_code == 404
    assert client_a.delete("/api/v1/admin/institution/logo", **admin).status_code == 204
    assert Client().get("/institution/logo", HTTP_HOST=world.host_a).status_code == 404
    with schema_context(world.tenant_a.schema_name):
        assert InstitutionProfile.objects.get().logo_id is None
        verbs = list(AdminAction.objects.values_list("verb", flat=True))
    assert "institution.logo_set" in verbs and "institution.logo_removed" in verbs


def test_the_manage_page_uploads_a_logo(world, client_a):
    sign_in(client_a, world.admin_a, world.tenant_a)
    answer = client_a.post("/manage/institution/logo", _upload(field="logo"), follow=True)
    assert b"The logo is saved." in answer.content
    assert b'alt="The current logo"' in answer.content
    sign_in(client_a, world.bob, world.tenant_a)
    assert client_a.post("/manage/institution/logo", _upload(field="logo")).status_code == 403


def test_serving_a_picture_or_the_logo_costs_a_bounded_number_of_queries(
    world, client_a, django_assert_max_num_queries, bearer
):
    url = _put(client_a, "/api/v1/me/picture", _upload(), **bearer(world.alice)).json()["picture"]
    _put(
        client_a,
        "/api/v1/admin/institution/logo",
        _upload(field="logo"),
        **bearer(world.admin_a),
    )
    bob = sign_in(Client(HTTP_HOST=world.host_a), world.bob, world.tenant_a)
    bob.get(url)
    with django_assert_max_num_queries(6):
        assert bob.get(url).status_code == 200
    with django_assert_max_num_queries(3):
        assert Client().get("/institution/logo", HTTP_HOST=world.host_a).status_code == 200
