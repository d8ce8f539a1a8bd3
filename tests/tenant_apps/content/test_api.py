"""Content API: uploads stored once, downloads that cannot run script, the one permission rule,
sharing, versions, comments; ids of one institution are 404 on another."""

from __future__ import annotations

import hashlib
import urllib.request

import pytest
from django_tenants.utils import schema_context

from shared_apps.audit.services import Actor
from tenant_apps.blobs.models import Blob
from tenant_apps.blobs.storage import blob_key, blob_storage, object_keys
from tenant_apps.content.models import ContentItem
from tenant_apps.content.services import content_purge
from tenant_apps.groups.models import Group, GroupMembership, Role
from tenants.models import TenantUsage
from tenants.services import tenant_suspend, tenant_update
from tests.tenant_apps.content.conftest import (
    png_bytes,
    random_bytes,
    upload_file,
)

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


def _item(api_upload, data=None, **fields) -> dict:
    response = api_upload(data if data is not None else random_bytes(), **fields)
    assert response.status_code == 201, response.content
    return response.json()


# --- single-instance storage ------------------------------------------------------
def test_it_stores_identical_uploads_once_and_counts_the_bytes_saved(
    api_upload, world, django_capture_on_commit_callbacks
):
    data = random_bytes(10_000)
    sha = hashlib.sha256(data).hexdigest()
    usage = TenantUsage.objects.get(tenant=world.tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        bodies = [_item(api_upload, data, title=f"copy {n}") for n in range(100)]
    assert len({body["id"] for body in bodies}) == 100
    with schema_context(world.tenant_a.schema_name):
        assert Blob.objects.get(sha256=sha).refs == 100
    assert object_keys(blob_storage(), world.tenant_a.uuid).count(sha) == 1
    after = TenantUsage.objects.get(tenant=world.tenant_a)
    assert after.bytes_stored - usage.bytes_stored == 10_000
    assert after.bytes_uploaded - usage.bytes_uploaded == 1_000_000
    assert after.bytes_saved - usage.bytes_saved == 990_000
    assert after.items - usage.items == 100


def test_the_answer_does_not_reveal_whether_the_bytes_were_stored(api_upload):
    data = random_bytes()
    first, second = _item(api_upload, data, title="x"), _item(api_upload, data, title="x")
    for body in (first, second):
        body.pop("id"), body.pop("created"), body.pop("modified")
        body["file"].pop("version"), body["file"].pop("download_url")
    assert first == second


def test_two_institutions_get_their_own_objects(client_b, world, api_upload, charlie):
    data = random_bytes()
    sha = hashlib.sha256(data).hexdigest()
    _item(api_upload, data)
    response = client_b.post("/api/v1/content/", {"file": upload_file(data)}, **charlie)
    assert response.status_code == 201
    storage = blob_storage()
    assert storage.exists(blob_key(world.tenant_a.uuid, sha))
    assert storage.exists(blob_key(world.tenant_b.uuid, sha))


def test_the_type_comes_from_the_bytes_not_the_client(api_upload, client_a, alice):
    body = _item(api_upload, png_bytes(), name="harmless.html")
    assert body["file"]["mime_type"] == "image/png"
    response = client_a.get(f"/api/v1/content/{body['id']}/download", **alice)
    assert response["Content-Type"] == "image/png"


# --- downloads --------------------------------------------------------------------
def test_html_is_served_as_an_attachment_with_nosniff(api_upload, client_a, alice):
    html = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
    body = _item(api_upload, html, name="page.html")
    response = client_a.get(f"/api/v1/content/{body['id']}/download", **alice)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="page.html"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == html


def test_images_display_inline(api_upload, client_a, alice):
    body = _item(api_upload, png_bytes(), name="photo.png")
    response = client_a.get(f"/api/v1/content/{body['id']}/download", **alice)
    assert response["Content-Disposition"].startswith("inline;")


def test_ranges_etags_and_304(api_upload, client_a, alice):
    data = random_bytes(5000)
    body = _item(api_upload, data)
    url = f"/api/v1/content/{body['id']}/download"
    whole = client_a.get(url, **alice)
    etag = whole["ETag"]
    assert etag == f'"{hashlib.sha256(data).hexdigest()}"'
    assert whole["Accept-Ranges"] == "bytes"
    part = client_a.get(url, HTTP_RANGE="bytes=100-199", **alice)
    assert part.status_code == 206
    assert part["Content-Range"] == "bytes 100-199/5000"
    assert b"".join(part.streaming_content) == data[100:200]
    tail = client_a.get(url, HTTP_RANGE="bytes=-10", **alice)
    assert b"".join(tail.streaming_content) == data[-10:]
    assert client_a.get(url, HTTP_RANGE="bytes=9000-", **alice).status_code == 416
    assert client_a.get(url, HTTP_IF_NONE_MATCH=etag, **alice).status_code == 304


def test_large_files_redirect_to_a_short_lived_presigned_url(api_upload, client_a, alice, settings):
    data = random_bytes(3000)
    body = _item(api_upload, data)
    settings.CONTENT_PRESIGNED_REDIRECT_BYTES = 1000
    response = client_a.get(f"/api/v1/content/{body['id']}/download", **alice)
    assert response.status_code == 302
    assert "X-Amz-Signature=" in response["Location"]
    with urllib.request.urlopen(response["Location"], timeout=10) as fetched:
        assert fetched.read() == data
        assert fetched.headers["Content-Disposition"].startswith("attachment;")


def test_a_file_the_reconciler_found_missing_answers_404_not_a_broken_stream(
    api_upload, client_a, alice, world
):
    from tenant_apps.blobs.services import blob_reconcile

    data = random_bytes()
    body = _item(api_upload, data)
    blob_storage().delete(blob_key(world.tenant_a.uuid, hashlib.sha256(data).hexdigest()))
    with schema_context(world.tenant_a.schema_name):
        assert blob_reconcile(tenant=world.tenant_a, repair=True).lost
    response = client_a.get(f"/api/v1/content/{body['id']}/download", **alice)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_the_collector_never_deletes_bytes_a_version_still_uses(api_upload, world):
    from datetime import timedelta

    from django.utils import timezone

    from tenant_apps.blobs.services import blob_collect_garbage

    data = random_bytes()
    _item(api_upload, data)
    sha = hashlib.sha256(data).hexdigest()
    with schema_context(world.tenant_a.schema_name):
        # A reference count gone wrong: zero, though a version still points at the blob.
        Blob.objects.filter(sha256=sha).update(
            refs=0, unreferenced_since=timezone.now() - timedelta(days=2)
        )
        blob_collect_garbage(tenant=world.tenant_a, grace=timedelta(0))
        assert Blob.objects.filter(sha256=sha).exists()
    assert blob_storage().exists(blob_key(world.tenant_a.uuid, sha))


# --- limits and quotas --------------------------------------------------------------
def test_a_file_over_the_institutions_limit_is_refused_clearly(api_upload, world):
    from django.core.management import call_command

    call_command("content_upload_limit", "alpha", "1000")
    response = api_upload(random_bytes(100_000))  # refused before the body is read
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert "limit of 1,000 bytes" in response.json()["detail"]
    # Just over the limit, within the multipart envelope's slack: the file is refused
    # once received, with the same 413 as every other oversized upload (not a 400).
    small_body = api_upload(random_bytes(1001))
    assert small_body.status_code == 413
    assert small_body["Content-Type"] == "application/problem+json"
    assert "limit of 1,000 bytes" in small_body.json()["detail"]
    with schema_context(world.tenant_a.schema_name):
        assert not ContentItem.objects.exists()
    assert api_upload(random_bytes(1000)).status_code == 201  # at the limit is within it


def test_a_chunked_multipart_upload_is_told_to_send_its_length(client_a, alice, world):
    from django.test.client import BOUNDARY, encode_multipart

    from tests.tenant_apps.content.conftest import upload_file

    body = encode_multipart(BOUNDARY, {"file": upload_file(b"some bytes", "notes.txt")})
    # What a server hands on for Transfer-Encoding: chunked: no Content-Length.
    response = client_a.post(
        "/api/v1/content/",
        data=body,
        content_type=f"multipart/form-data;boundary={BOUNDARY}",  # bytes, sent as they are
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        **alice,
    )
    assert response.status_code == 411
    assert response["Content-Type"] == "application/problem+json"
    assert "Content-Length" in response.json()["detail"]
    assert "attach" not in response.json()["detail"].lower()
    with schema_context(world.tenant_a.schema_name):
        assert not ContentItem.objects.exists()


def test_the_storage_quota_is_enforced_on_upload(api_upload, world):
    usage = TenantUsage.objects.get(tenant=world.tenant_a)
    tenant_update(
        tenant=world.tenant_a, actor=Actor.cli(), quota_storage_bytes=usage.bytes_stored + 100
    )
    response = api_upload(random_bytes(1000))
    assert response.status_code == 400
    assert "storage allowance" in str(response.json()["errors"])


def test_a_suspended_institution_refuses_uploads(api_upload, world):
    tenant_suspend(tenant=world.tenant_a, actor=Actor.cli())
    response = api_upload(random_bytes())
    assert response.status_code == 423


# --- links and documents ----------------------------------------------------------
def test_links_must_be_public_http_addresses(client_a, alice):
    ok = client_a.post(
        "/api/v1/content/",
        {"kind": "link", "url": "https://example.org/reading", "title": "Reading"},
        content_type="application/json",
        **alice,
    )
    assert ok.status_code == 201 and ok.json()["url"] == "https://example.org/reading"
    for bad in (
        "javascript:alert(1)",
        "http://127.0.0.1/admin",
        "http://10.0.0.5/",
        "http://localhost:8000/",
        "ftp://example.org/x",
        "http://[::1]/",
        "http://metadata.google.internal./computeMetadata/v1/",  # a trailing dot
        "http://169.254.169.254.nip.io/latest/meta-data/",  # a name spelling an address
        "http://7f000001.nip.io/",
    ):
        response = client_a.post(
            "/api/v1/content/",
            {"kind": "link", "url": bad},
            content_type="application/json",
            **alice,
        )
        assert response.status_code == 400, bad
        assert "url" in response.json()["errors"]


def test_documents_are_sanitised(client_a, alice):
    response = client_a.post(
        "/api/v1/content/",
        {
            "kind": "document",
            "title": "Notes",
            "body": "<p onclick='x()'>Hi <script>alert(1)</script><a href='javascript:x'>a</a></p>",
        },
        content_type="application/json",
        **alice,
    )
    assert response.status_code == 201
    body = response.json()["body"]
    assert "script" not in body and "onclick" not in body and "javascript" not in body
    assert body.startswith("<p>Hi ")


# --- the permission rule ------------------------------------------------------------
def _endpoints(item_id: str, version_id: str) -> list[tuple[str, str, dict | None]]:
    return [
        ("get", f"/api/v1/content/{item_id}", None),
        ("get", f"/api/v1/content/{item_id}/download", None),
        ("get", f"/api/v1/content/{item_id}/download?version={version_id}", None),
        ("get", f"/api/v1/content/{item_id}/preview", None),
        ("get", f"/api/v1/content/{item_id}/versions/", None),
        ("get", f"/api/v1/content/{item_id}/comments/", None),
        ("post", f"/api/v1/content/{item_id}/comments/", {"body": "hi"}),
        ("get", f"/api/v1/content/{item_id}/shares/", None),
        ("post", f"/api/v1/content/{item_id}/shares/", {"principals": ["u_x"]}),
        ("patch", f"/api/v1/content/{item_id}", {"title": "taken"}),
        ("delete", f"/api/v1/content/{item_id}", None),
        ("post", f"/api/v1/content/{item_id}/versions/{version_id}/restore", None),
    ]


def _call(client, method, url, data, headers):
    if data is None:
        return getattr(client, method)(url, **headers)
    return getattr(client, method)(url, data, content_type="application/json", **headers)


def test_every_endpoint_hides_another_institutions_items(api_upload, client_b, charlie, world):
    body = _item(api_upload, png_bytes(), visibility="public", title="Alice's secret")
    for method, url, data in _endpoints(body["id"], body["file"]["version"]):
        response = _call(client_b, method, url, data, charlie)
        assert response.status_code == 404, (method, url, response.status_code)
        assert "Alice" not in response.content.decode()
    # Anonymous on B too: public items of A are not B's.
    assert client_b.get(f"/api/v1/content/{body['id']}").status_code == 404


def test_a_token_of_another_institution_is_refused(client_b, alice):
    assert client_b.get("/api/v1/content/", **alice).status_code == 401


def test_private_items_are_404_for_peers_on_every_endpoint(api_upload, client_a, bob):
    body = _item(api_upload, png_bytes())
    for method, url, data in _endpoints(body["id"], body["file"]["version"]):
        response = _call(client_a, method, url, data, bob)
        assert response.status_code == 404, (method, url, response.status_code)


def test_loggedin_items_are_readable_but_not_writable_by_peers(api_upload, client_a, bob):
    body = _item(api_upload, random_bytes(), visibility="loggedin", title="Course notes")
    item = f"/api/v1/content/{body['id']}"
    assert client_a.get(item, **bob).json()["can_manage"] is False
    assert client_a.get(f"{item}/download", **bob).status_code == 200
    assert client_a.get(item).status_code == 401 or client_a.get(item).status_code == 404
    assert _call(client_a, "patch", item, {"title": "x"}, bob).status_code == 404
    assert client_a.delete(item, **bob).status_code == 404
    assert client_a.get(f"{item}/shares/", **bob).status_code == 404


def test_public_items_are_readable_anonymously(api_upload, client_a):
    body = _item(api_upload, random_bytes(), visibility="public")
    assert client_a.get(f"/api/v1/content/{body['id']}").status_code == 200
    assert client_a.get(f"/api/v1/content/{body['id']}/download").status_code == 200
    assert client_a.patch(
        f"/api/v1/content/{body['id']}", {"title": "x"}, content_type="application/json"
    ).status_code in (401, 403)


def test_shares_to_people_and_groups(api_upload, client_a, alice, bob, world):
    body = _item(api_upload, random_bytes())
    item = f"/api/v1/content/{body['id']}"
    shared = _call(
        client_a,
        "post",
        f"{item}/shares/",
        {"principals": [world.bob.public_id], "role": "viewer"},
        alice,
    )
    assert shared.status_code == 201
    assert shared.json()[0]["principal"]["id"] == world.bob.public_id
    assert "bob" not in shared.content.decode().lower().replace("bob baker", "")
    assert client_a.get(item, **bob).status_code == 200
    assert _call(client_a, "patch", item, {"title": "x"}, bob).status_code == 404
    listed = client_a.get("/api/v1/content/?scope=shared", **bob).json()["results"]
    assert [entry["id"] for entry in listed] == [body["id"]]
    # As a member of a group that manages it, Bob may change it.
    with schema_context(world.tenant_a.schema_name):
        group = Group.objects.create(title="Seminar")
        GroupMembership.objects.create(group=group, user=world.bob, role=Role.MEMBER)
        # Only members share into a group's library by default (tests/.../test_audiences.py).
        GroupMembership.objects.create(group=group, user=world.alice, role=Role.MEMBER)
        group_id = group.public_id
    assert (
        _call(
            client_a,
            "post",
            f"{item}/shares/",
            {"principals": [group_id], "role": "manager"},
            alice,
        ).status_code
        == 201
    )
    assert _call(client_a, "patch", item, {"title": "Renamed"}, bob).status_code == 200
    assert client_a.get(f"{item}/shares/", **bob).status_code == 200


def test_an_item_never_loses_its_last_manager(api_upload, client_a, alice, bob, world):
    body = _item(api_upload, random_bytes())
    shares = f"/api/v1/content/{body['id']}/shares/"
    me = world.alice.public_id
    demote = _call(client_a, "post", shares, {"principals": [me], "role": "viewer"}, alice)
    assert demote.status_code == 400
    leave = _call(client_a, "delete", shares, {"principal": me}, alice)
    assert leave.status_code == 400 and "manager" in str(leave.json()["errors"])
    assert (
        _call(
            client_a,
            "post",
            shares,
            {"principals": [world.bob.public_id], "role": "manager"},
            alice,
        ).status_code
        == 201
    )
    assert _call(client_a, "delete", shares, {"principal": me}, alice).status_code == 204
    assert client_a.get(f"/api/v1/content/{body['id']}", **alice).status_code == 404
    assert client_a.get(f"/api/v1/content/{body['id']}", **bob).json()["can_manage"] is True


def test_unknown_share_principals_are_a_clear_400(api_upload, client_a, alice, world):
    body = _item(api_upload, random_bytes())
    response = _call(
        client_a,
        "post",
        f"/api/v1/content/{body['id']}/shares/",
        {"principals": [world.charlie.public_id]},
        alice,
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


# --- lists --------------------------------------------------------------------------
def test_the_library_pages_with_a_bounded_number_of_queries(
    api_upload, client_a, alice, django_assert_max_num_queries
):
    ids = [
        _item(api_upload, random_bytes(100), title=f"n{n}", tags=["week-1"])["id"]
        for n in range(30)
    ]
    with django_assert_max_num_queries(6):
        first = client_a.get("/api/v1/content/?limit=20", **alice).json()
    second = client_a.get(first["next"], **alice).json()
    seen = [entry["id"] for entry in first["results"] + second["results"]]
    assert seen == list(reversed(ids))
    assert second["next"] is None
    tagged = client_a.get("/api/v1/content/?tag=week-1&limit=100", **alice).json()["results"]
    assert len(tagged) == 30
    assert client_a.get("/api/v1/content/?tag=other", **alice).json()["results"] == []


# --- versions -----------------------------------------------------------------------
def test_versions_upload_list_download_and_restore(api_upload, client_a, alice, world):
    one, two = random_bytes(1000), random_bytes(2000)
    body = _item(api_upload, one)
    item = f"/api/v1/content/{body['id']}"
    new = client_a.post(f"{item}/versions/", {"file": upload_file(two, "v2.bin")}, **alice)
    assert new.status_code == 201 and new.json()["number"] == 2
    versions = client_a.get(f"{item}/versions/", **alice).json()["results"]
    assert [v["number"] for v in versions] == [2, 1]
    assert b"".join(client_a.get(f"{item}/download", **alice).streaming_content) == two
    old = client_a.get(f"{item}/download?version={versions[1]['id']}", **alice)
    assert b"".join(old.streaming_content) == one
    restored = client_a.post(f"{item}/versions/{versions[1]['id']}/restore", **alice)
    assert restored.status_code == 201 and restored.json()["number"] == 3
    assert b"".join(client_a.get(f"{item}/download", **alice).streaming_content) == one
    with schema_context(world.tenant_a.schema_name):
        assert Blob.objects.get(sha256=hashlib.sha256(one).hexdigest()).refs == 2


def test_deleting_an_item_releases_its_blobs_when_the_trash_is_purged(
    api_upload, client_a, alice, world
):
    data = random_bytes()
    body = _item(api_upload, data)
    assert client_a.delete(f"/api/v1/content/{body['id']}", **alice).status_code == 204
    with schema_context(world.tenant_a.schema_name):
        blob = Blob.objects.get(sha256=hashlib.sha256(data).hexdigest())
        assert blob.refs == 1  # in the trash: restorable, bytes kept
        content_purge(item=ContentItem.objects.get(public_id=body["id"]))
        blob.refresh_from_db()
        assert blob.refs == 0 and blob.unreferenced_since is not None
    assert client_a.get(f"/api/v1/content/{body['id']}", **alice).status_code == 404


# --- comments -----------------------------------------------------------------------
def test_comments_thread_are_sanitised_and_editable_by_author_and_managers(
    api_upload, client_a, alice, bob
):
    body = _item(api_upload, random_bytes(), visibility="loggedin")
    comments = f"/api/v1/content/{body['id']}/comments/"
    first = _call(client_a, "post", comments, {"body": "<b>Nice</b><script>x</script>"}, bob)
    assert first.status_code == 201
    assert first.json()["body"] == "<b>Nice</b>"
    reply = _call(
        client_a, "post", comments, {"body": "Thanks", "parent": first.json()["id"]}, alice
    )
    assert reply.json()["parent"] == first.json()["id"]
    empty = _call(client_a, "post", comments, {"body": "<script>x</script>"}, bob)
    assert empty.status_code == 400
    mine = f"{comments[:-1]}/{first.json()['id']}".replace("comments//", "comments/")
    mine = f"/api/v1/content/{body['id']}/comments/{first.json()['id']}"
    theirs = f"/api/v1/content/{body['id']}/comments/{reply.json()['id']}"
    assert _call(client_a, "patch", mine, {"body": "Edited"}, bob).status_code == 200
    assert _call(client_a, "patch", theirs, {"body": "Hijack"}, bob).status_code == 404
    assert client_a.delete(mine, **alice).status_code == 204  # Alice manages the item
    listed = client_a.get(comments, **bob).json()["results"]
    assert [c["body"] for c in listed] == []  # the reply went with its parent


# --- raw-body uploads (the file's bytes are the body) ---------------------------------
def _raw(client, url, data: bytes, headers: dict, *, name: str | None = "notes.bin", **extra):
    if name is not None:
        extra["HTTP_CONTENT_DISPOSITION"] = f'attachment; filename="{name}"'
    extra.setdefault("content_type", "application/octet-stream")
    return client.post(url, data=data, **headers, **extra)


def test_a_raw_body_upload_is_stored_and_answered_like_a_form_upload(
    api_upload, client_a, alice, world
):
    data = png_bytes()
    raw = _raw(
        client_a,
        "/api/v1/content/?title=Photo&tags=week-1&tags=lab&visibility=loggedin",
        data,
        alice,
        name="photo.html",
        content_type="image/png",
    )
    assert raw.status_code == 201, raw.content
    form = api_upload(
        data, name="photo.html", title="Photo", tags=["week-1", "lab"], visibility="loggedin"
    )
    first, second = raw.json(), form.json()
    assert first["file"]["mime_type"] == "image/png"  # from the bytes, not the header
    assert first["file"]["filename"] == "photo.html"
    assert first["tags"] == ["week-1", "lab"] and first["visibility"] == "loggedin"
    for body in (first, second):
        body.pop("id"), body.pop("created"), body.pop("modified")
        body["file"].pop("version"), body["file"].pop("download_url")
    assert first == second
    sha = hashlib.sha256(data).hexdigest()
    with schema_context(world.tenant_a.schema_name):
        assert Blob.objects.get(sha256=sha).refs == 2
    assert object_keys(blob_storage(), world.tenant_a.uuid).count(sha) == 1


def test_identical_raw_uploads_are_stored_once(
    client_a, alice, world, django_capture_on_commit_callbacks
):
    data = random_bytes(10_000)
    sha = hashlib.sha256(data).hexdigest()
    usage = TenantUsage.objects.get(tenant=world.tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(100):
            response = _raw(client_a, f"/api/v1/content/?title=copy+{n}", data, alice)
            assert response.status_code == 201, response.content
    with schema_context(world.tenant_a.schema_name):
        assert Blob.objects.get(sha256=sha).refs == 100
        assert ContentItem.objects.count() == 100
    assert object_keys(blob_storage(), world.tenant_a.uuid).count(sha) == 1
    after = TenantUsage.objects.get(tenant=world.tenant_a)
    assert after.bytes_stored - usage.bytes_stored == 10_000
    assert after.bytes_uploaded - usage.bytes_uploaded == 1_000_000


def test_a_raw_body_is_named_by_its_content_disposition_or_the_query(client_a, alice):
    encoded = _raw(
        client_a,
        "/api/v1/content/",
        random_bytes(),
        alice,
        name=None,
        HTTP_CONTENT_DISPOSITION="attachment; filename*=UTF-8''%C3%A9t%C3%A9.pdf",
    )
    assert encoded.status_code == 201, encoded.content
    assert encoded.json()["file"]["filename"] == "été.pdf"
    assert encoded.json()["title"] == "été.pdf"
    queried = _raw(
        client_a, "/api/v1/content/?filename=slides.bin", random_bytes(), alice, name=None
    )
    assert queried.status_code == 201
    assert queried.json()["file"]["filename"] == "slides.bin"


def test_bad_raw_bodies_are_problems_and_store_nothing(client_a, alice, world):
    data = random_bytes()
    cases = [
        (_raw(client_a, "/api/v1/content/", data, alice, name=None), "filename"),
        (_raw(client_a, "/api/v1/content/", b"", alice, CONTENT_LENGTH="0"), "file"),
        (_raw(client_a, "/api/v1/content/?kind=link", data, alice), "kind"),
        (_raw(client_a, "/api/v1/content/?visibility=everyone", data, alice), "visibility"),
    ]
    for response, field in cases:
        assert response.status_code == 400, (field, response.content)
        assert response["Content-Type"] == "application/problem+json"
        assert field in response.json()["errors"]
    unsized = _raw(client_a, "/api/v1/content/", data, alice, CONTENT_LENGTH="")
    assert unsized.status_code == 411
    assert unsized["Content-Type"] == "application/problem+json"
    with schema_context(world.tenant_a.schema_name):
        assert not ContentItem.objects.exists() and not Blob.objects.exists()
    sha = hashlib.sha256(data).hexdigest()
    assert sha not in object_keys(blob_storage(), world.tenant_a.uuid)


def test_a_raw_body_over_the_limit_is_refused_before_it_is_read(client_a, alice, world):
    from django.core.management import call_command

    call_command("content_upload_limit", "alpha", "1000")
    over = _raw(client_a, "/api/v1/content/", random_bytes(1001), alice)
    assert over.status_code == 413  # no envelope to allow for: one byte over is over
    assert over["Content-Type"] == "application/problem+json"
    assert "limit of 1,000 bytes" in over.json()["detail"]
    with schema_context(world.tenant_a.schema_name):
        assert not ContentItem.objects.exists()
    assert _raw(client_a, "/api/v1/content/", random_bytes(1000), alice).status_code == 201


def test_the_storage_quota_is_enforced_on_raw_uploads(client_a, alice, world):
    usage = TenantUsage.objects.get(tenant=world.tenant_a)
    tenant_update(
        tenant=world.tenant_a, actor=Actor.cli(), quota_storage_bytes=usage.bytes_stored + 100
    )
    response = _raw(client_a, "/api/v1/content/", random_bytes(1000), alice)
    assert response.status_code == 400
    assert "storage allowance" in str(response.json()["errors"])


def test_a_raw_body_uploads_a_new_version_for_managers_only(
    api_upload, client_a, client_b, alice, bob, charlie, world
):
    body = _item(api_upload, random_bytes())
    versions = f"/api/v1/content/{body['id']}/versions/"
    theirs = random_bytes()
    for client, headers in ((client_a, bob), (client_b, charlie)):
        refused = _raw(client, versions, theirs, headers, name="v2.bin")
        assert refused.status_code == 404
        assert refused["Content-Type"] == "application/problem+json"
    sha = hashlib.sha256(theirs).hexdigest()
    for tenant in (world.tenant_a, world.tenant_b):
        assert sha not in object_keys(blob_storage(), tenant.uuid)
    two = random_bytes(3000)
    added = _raw(client_a, versions, two, alice, name="v2.bin")
    assert added.status_code == 201, added.content
    assert added.json()["number"] == 2 and added.json()["filename"] == "v2.bin"
    assert added.json()["sha256"] == hashlib.sha256(two).hexdigest()
    download = client_a.get(f"/api/v1/content/{body['id']}/download", **alice)
    assert b"".join(download.streaming_content) == two


def test_the_openapi_document_describes_both_upload_bodies(client_a):
    spec = client_a.get("/api/schema/?format=json").json()
    for path in ("/api/v1/content/", "/api/v1/content/{public_id}/versions/"):
        post = spec["paths"][path]["post"]
        assert {"multipart/form-data", "application/octet-stream"} <= set(
            post["requestBody"]["content"]
        ), path
        assert "Content-Disposition" in {p["name"] for p in post["parameters"]}, path
