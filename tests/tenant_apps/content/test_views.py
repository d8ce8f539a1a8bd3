"""Library pages: my library, shared with me, adding items, an item's page and its actions;
the same rule and the same services as the API."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django_tenants.utils import schema_context

from shared_apps.audit.services import Actor
from tenant_apps.blobs.models import Blob
from tenant_apps.blobs.storage import blob_storage, object_keys
from tenant_apps.content.models import Comment, ContentItem, ShareRole
from tenant_apps.content.services import (
    comment_create,
    content_share,
    content_upload_file,
)
from tenants.models import TenantUsage
from tenants.services import tenant_suspend
from tests.conftest import sign_in
from tests.tenant_apps.content.conftest import png_bytes, random_bytes, upload_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_client(world) -> Client:
    return sign_in(Client(HTTP_HOST=world.host_a), world.alice, world.tenant_a)


@pytest.fixture
def bob_client(world) -> Client:
    return sign_in(Client(HTTP_HOST=world.host_a), world.bob, world.tenant_a)


@pytest.fixture
def charlie_client(world) -> Client:
    return sign_in(Client(HTTP_HOST=world.host_b), world.charlie, world.tenant_b)


@pytest.fixture
def item(world):
    with schema_context(world.tenant_a.schema_name):
        made = content_upload_file(
            actor=world.alice,
            source=io.BytesIO(png_bytes()),
            filename="diagram.png",
            title="Alice's diagram",
            tags="biology, week 1",
        )
        comment_create(actor=world.alice, item=made, body="First!")
        return made


def _upload(client, data: bytes, **fields):
    return client.post(
        "/content/new?kind=file",
        {"kind": "file", "file": upload_file(data), "visibility": "private", **fields},
    )


def test_the_library_needs_a_signed_in_member(client_a):
    response = client_a.get("/content/")
    assert response.status_code == 302 and "/signin" in response["Location"]


def test_uploading_the_same_file_100_times_in_the_ui_stores_it_once(
    alice_client, world, django_capture_on_commit_callbacks
):
    data = random_bytes(4000)
    sha = hashlib.sha256(data).hexdigest()
    before = TenantUsage.objects.get(tenant=world.tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(100):
            response = _upload(alice_client, data, title=f"Copy {n}")
            assert response.status_code == 302
    assert object_keys(blob_storage(), world.tenant_a.uuid).count(sha) == 1
    with schema_context(world.tenant_a.schema_name):
        assert Blob.objects.get(sha256=sha).refs == 100
    after = TenantUsage.objects.get(tenant=world.tenant_a)
    assert after.bytes_stored - before.bytes_stored == 4000
    assert after.bytes_saved - before.bytes_saved == 99 * 4000


def test_my_library_lists_my_items_with_a_bounded_number_of_queries(
    alice_client, item, django_assert_max_num_queries
):
    # 9: the header's unread badge costs one query when its cached count is cold.
    with django_assert_max_num_queries(9):
        response = alice_client.get("/content/")
    assert response.status_code == 200
    assert "Alice&#x27;s diagram" in response.content.decode()
    tagged = alice_client.get("/content/?tag=biology").content.decode()
    assert "Alice&#x27;s diagram" in tagged
    assert (
        "Alice&#x27;s diagram" not in alice_client.get("/content/?tag=chemistry").content.decode()
    )


def test_library_pages_follow_on_by_keyset(alice_client, world):
    from tenant_apps.content.services import content_create_document

    with schema_context(world.tenant_a.schema_name):
        titles = [
            content_create_document(actor=world.alice, title=f"Doc {n:02d}").title
            for n in range(55)
        ]
    first = alice_client.get("/content/")
    page_one = [t for t in titles if f">{t}<" in first.content.decode()]
    assert len(page_one) == 50
    next_after = first.context["next_after"]
    second = alice_client.get(f"/content/?after={next_after}")
    page_two = [t for t in titles if f">{t}<" in second.content.decode()]
    assert sorted(page_one + page_two) == sorted(titles)
    assert second.context["next_after"] is None
    assert alice_client.get("/content/?after=c_forged").status_code == 404


def test_shared_with_me_lists_items_others_shared(bob_client, item, world):
    assert "diagram" not in bob_client.get("/content/shared").content.decode()
    with schema_context(world.tenant_a.schema_name):
        content_share(actor=world.alice, item=item, principals=[world.bob], role=ShareRole.VIEWER)
    page = bob_client.get("/content/shared").content.decode()
    assert "Alice&#x27;s diagram" in page


def test_the_item_page_shows_preview_versions_sharing_and_comments(alice_client, item):
    response = alice_client.get(f"/content/{item.public_id}")
    assert response.status_code == 200
    page = response.content.decode()
    for expected in ("Versions", "Sharing", "Comments", "First!", "diagram.png", "Download"):
        assert expected in page
    assert "alice@example.edu" not in page


def test_a_reader_s_item_page_reads_no_versions_and_shows_no_manager_forms(
    alice_client, bob_client, item, world
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with schema_context(world.tenant_a.schema_name):
        content_share(actor=world.alice, item=item, principals=[world.bob], role=ShareRole.VIEWER)
    bob_client.get(f"/content/{item.public_id}")  # warm the caches of the request path
    with CaptureQueriesContext(connection) as reader:
        page = bob_client.get(f"/content/{item.public_id}").content.decode()
    assert "First!" in page and "diagram.png" in page
    for hidden in ('id="versions"', 'id="manage-heading"', 'name="role"', 'name="visibility"'):
        assert hidden not in page
    assert not any('FROM "content_contentversion"' in q["sql"] for q in reader.captured_queries)
    alice_client.get(f"/content/{item.public_id}")
    with CaptureQueriesContext(connection) as manager:
        page = alice_client.get(f"/content/{item.public_id}").content.decode()
    assert 'id="versions"' in page and 'name="role"' in page and 'name="visibility"' in page
    assert any('FROM "content_contentversion"' in q["sql"] for q in manager.captured_queries)


def _actions(item, world) -> list[tuple[str, dict]]:
    version = item.current_version.public_id
    with schema_context(world.tenant_a.schema_name):
        comment = Comment.objects.filter(item=item).first().public_id
    return [
        (f"/content/{item.public_id}/edit", {"title": "taken", "visibility": "public"}),
        (f"/content/{item.public_id}/delete", {}),
        (f"/content/{item.public_id}/versions", {"file": upload_file(b"x")}),
        (f"/content/{item.public_id}/versions/{version}/restore", {}),
        (
            f"/content/{item.public_id}/share",
            {"principals": world.bob.public_id, "role": "manager"},
        ),
        (f"/content/{item.public_id}/unshare", {"principal": world.alice.public_id}),
        (f"/content/{item.public_id}/comments", {"body": "hi"}),
        (f"/content/{item.public_id}/comments/{comment}/edit", {"body": "hijack"}),
        (f"/content/{item.public_id}/comments/{comment}/delete", {}),
    ]


def test_peers_get_404_for_a_private_items_pages_and_actions(bob_client, item, world):
    for url in ("", "/download", "/preview"):
        assert bob_client.get(f"/content/{item.public_id}{url}").status_code == 404
    for url, data in _actions(item, world):
        assert bob_client.post(url, data).status_code == 404, url
    with schema_context(world.tenant_a.schema_name):
        fresh = ContentItem.objects.get(pk=item.pk)
        assert fresh.title == "Alice's diagram" and fresh.visibility == "private"


def test_another_institution_sees_404_for_every_page_and_action(charlie_client, item, world):
    with schema_context(world.tenant_a.schema_name):
        item.visibility = "public"
        item.save()
    for url in ("", "/download", "/preview"):
        response = charlie_client.get(f"/content/{item.public_id}{url}")
        assert response.status_code == 404
        assert "diagram" not in response.content.decode()
    for url, data in _actions(item, world):
        assert charlie_client.post(url, data).status_code == 404, url


def test_a_session_of_another_institution_is_not_signed_in_here(world, item):
    client = sign_in(Client(HTTP_HOST=world.host_b), world.alice, world.tenant_a)
    assert client.get("/content/").status_code == 302


def test_public_items_are_readable_without_signing_in(client_a, item, world):
    with schema_context(world.tenant_a.schema_name):
        item.visibility = "public"
        item.save()
    page = client_a.get(f"/content/{item.public_id}")
    assert page.status_code == 200
    assert "Sharing" not in page.content.decode()
    assert client_a.get(f"/content/{item.public_id}/download").status_code == 200


def test_managers_act_through_the_page(alice_client, item, world):
    base = f"/content/{item.public_id}"
    assert (
        alice_client.post(
            f"{base}/edit", {"title": "Cell diagram", "visibility": "loggedin", "tags": "biology"}
        ).status_code
        == 302
    )
    assert (
        alice_client.post(f"{base}/versions", {"file": upload_file(b"second")}).status_code == 302
    )
    assert (
        alice_client.post(
            f"{base}/share", {"principals": world.bob.public_id, "role": "viewer"}
        ).status_code
        == 302
    )
    assert (
        alice_client.post(f"{base}/comments", {"body": "<em>ok</em><script>x</script>"}).status_code
        == 302
    )
    with schema_context(world.tenant_a.schema_name):
        fresh = ContentItem.objects.get(pk=item.pk)
        assert fresh.title == "Cell diagram" and fresh.visibility == "loggedin"
        assert fresh.versions.count() == 2
        assert fresh.shares.filter(user=world.bob).exists()
        assert fresh.comments.filter(body_html="<em>ok</em>").exists()
        first = fresh.versions.get(number=1).public_id
    assert alice_client.post(f"{base}/versions/{first}/restore").status_code == 302
    page = alice_client.get(base).content.decode()
    assert "Version 1 is current again." in page
    # Removing her own last manager share is refused with a message.
    response = alice_client.post(
        f"{base}/unshare", {"principal": world.alice.public_id}, follow=True
    )
    assert "no manager left" in response.content.decode()
    assert alice_client.post(f"{base}/delete").status_code == 302
    with schema_context(world.tenant_a.schema_name):  # in the trash, restorable
        assert ContentItem.objects.get(pk=item.pk).deleted_at is not None
    assert alice_client.get(base).status_code == 404


def test_links_and_documents_through_the_forms(alice_client):
    bad = alice_client.post(
        "/content/new?kind=link",
        {"kind": "link", "url": "http://192.168.1.1/", "visibility": "private"},
    )
    assert bad.status_code == 400
    assert "internal addresses" in bad.content.decode()
    good = alice_client.post(
        "/content/new?kind=link",
        {"kind": "link", "url": "https://example.org/", "visibility": "private"},
    )
    assert good.status_code == 302
    doc = alice_client.post(
        "/content/new?kind=document",
        {
            "kind": "document",
            "title": "Essay",
            "body": "<h2>Intro</h2><script>x</script>",
            "visibility": "private",
        },
        follow=True,
    )
    assert "<h2>Intro</h2>" in doc.content.decode()
    assert "<script>x</script>" not in doc.content.decode()


def test_an_oversized_upload_gets_a_friendly_message(alice_client, world):
    call_command("content_upload_limit", "alpha", "100")
    response = _upload(alice_client, random_bytes(500))
    assert response.status_code == 400
    assert "larger than this institution&#x27;s limit of 100 bytes" in response.content.decode()


def test_a_suspended_institution_still_shows_items_but_refuses_uploads(alice_client, item, world):
    tenant_suspend(tenant=world.tenant_a, actor=Actor.cli())
    assert alice_client.get(f"/content/{item.public_id}").status_code == 200
    assert _upload(alice_client, random_bytes()).status_code == 423
