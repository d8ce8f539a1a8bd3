"""The API's content lists are drawn from rows of columns (``selectors.listed``), not models:
every entry must be exactly what the item's own endpoint (a model) answers, for every kind
and state of an item, every kind of viewer; for a bounded number
of statements whatever the rows hold; never another institution's."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework import serializers

from config.api.dates import datetimes
from tenant_apps.blobs.models import Blob
from tenant_apps.content.models import ContentItem, ContentVersion, LinkPreview
from tenant_apps.content.services import (
    content_add_link,
    content_create_document,
    content_share,
    content_upload_file,
)
from tenant_apps.groups.services import group_create, group_invite, group_join
from tenant_apps.people.models import User
from tests.tenant_apps.content.conftest import random_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def kinds(world) -> dict[str, str]:
    """One item of every kind and state a list entry shows differently; public ids."""
    made: dict[str, ContentItem] = {}
    with schema_context(world.tenant_a.schema_name):
        alice, bob = world.alice, world.bob
        made["document"] = content_create_document(
            actor=alice, title="Doc", body="<p>Hello <b>there</b></p>", tags=["week-1"]
        )
        made["pending link"] = content_add_link(
            actor=alice, url="https://example.org/a", title="Pending", tags=["week-1"]
        )
        made["bare link"] = content_add_link(actor=alice, url="https://example.org/b", title="B")
        LinkPreview.objects.filter(pk=made["bare link"].pk).delete()
        made["file"] = content_upload_file(
            actor=alice, source=_bytes(), filename="notes.pdf", title="File", tags=["week-1"]
        )
        made["plain file"] = content_upload_file(actor=alice, source=_bytes(), filename="x.bin")
        blob = Blob.objects.order_by("id").first()
        made["shown link"] = content_add_link(actor=alice, url="https://example.org/c", title="C")
        LinkPreview.objects.filter(pk=made["shown link"].pk).update(
            status="done",
            title="The page",
            description="What it says",
            site_name="Example",
            image_blob=blob,
        )
        ContentVersion.objects.filter(pk=made["file"].current_version_id).update(
            preview_blob=blob,
            preview_status="done",
            page_count=3,
            pages_rendered=2,
            media_duration=12.5,
        )
        # Bob's, shared with Alice: his name hidden from members; one with no creator left.
        User.objects.filter(pk=bob.pk).update(display_name_visibility="private")
        made["bobs"] = content_create_document(actor=bob, title="Bob's", visibility="loggedin")
        content_share(actor=bob, item=made["bobs"], principals=[alice], role="editor")
        made["orphan"] = content_create_document(actor=bob, title="Orphan", visibility="loggedin")
        content_share(actor=bob, item=made["orphan"], principals=[alice], role="viewer")
        ContentItem.objects.filter(pk=made["orphan"].pk).update(created_by=None)
        group = group_create(actor=alice, title="Readers", visibility="private")
        group_invite(actor=alice, group=group, person=bob)
        group_join(actor=bob, group=group)
        content_share(actor=alice, item=made["file"], principals=[group], role="viewer")
        content_share(actor=alice, item=made["shown link"], principals=[group], role="viewer")
        made["group"] = group
    return {name: thing.public_id for name, thing in made.items()}


def _bytes():
    import io

    return io.BytesIO(random_bytes(300))


def _get(client, path: str, headers: dict) -> dict:
    response = client.get(path, **headers)
    assert response.status_code == 200, response.content[:300]
    return response.json()


def test_every_list_entry_is_what_the_item_s_own_endpoint_answers(kinds, world, client_a, bearer):
    group = kinds["group"]
    lists = (
        "/api/v1/content/",
        "/api/v1/content/?scope=shared",
        "/api/v1/content/?tag=week-1",
        "/api/v1/content/?limit=2",
        f"/api/v1/groups/{group}/content/",
    )
    with schema_context(world.tenant_a.schema_name):
        # Alice reads her pages in Newfoundland's time (-03:30); the API answers in UTC.
        User.objects.filter(pk=world.alice.pk).update(time_zone="America/St_Johns")
    seen: set[str] = set()
    for user in (world.alice, world.bob, world.admin_a):
        headers = bearer(user)
        for path in lists:
            if user == world.admin_a and "/groups/" in path:
                continue  # a private group the admin is not in
            for entry in _get(client_a, path, headers)["results"]:
                alone = _get(client_a, f"/api/v1/content/{entry['id']}", headers)
                assert entry == alone, (user.username, path)
                seen.add(entry["id"])
    assert seen >= {public_id for name, public_id in kinds.items() if name != "group"}

    alice = bearer(world.alice)
    mine = {entry["id"]: entry for entry in _get(client_a, "/api/v1/content/", alice)["results"]}
    shown = mine[kinds["shown link"]]
    assert shown["preview"]["image_url"] == (
        f"http://{world.host_a}/api/v1/content/{kinds['shown link']}/link-image"
    )
    assert mine[kinds["bare link"]]["preview"] is None
    assert mine[kinds["pending link"]]["preview"]["image_url"] is None
    assert mine[kinds["document"]]["body"] == "<p>Hello <b>there</b></p>"
    assert mine[kinds["document"]]["created"].endswith("Z")
    shown_file = mine[kinds["file"]]["file"]
    base = f"http://{world.host_a}/api/v1/content/{kinds['file']}"
    assert (shown_file["download_url"], shown_file["preview_url"], shown_file["pages_url"]) == (
        f"{base}/download",
        f"{base}/preview",
        f"{base}/pages/",
    )
    assert (shown_file["page_count"], shown_file["pages_rendered"], shown_file["duration"]) == (
        3,
        2,
        12.5,
    )
    plain = mine[kinds["plain file"]]["file"]
    assert plain["preview_url"] is None and plain["pages_url"] is None

    shared = {
        entry["id"]: entry
        for entry in _get(client_a, "/api/v1/content/?scope=shared", alice)["results"]
    }
    assert shared[kinds["orphan"]]["created_by"] is None
    # Bob hid his name from members: Alice sees his id only; an admin sees the name.
    assert shared[kinds["bobs"]]["created_by"]["display_name"] == ""
    assert shared[kinds["bobs"]]["can_edit"] is True
    assert shared[kinds["bobs"]]["can_manage"] is False
    admin = _get(client_a, f"/api/v1/content/{kinds['bobs']}", bearer(world.admin_a))
    assert admin["created_by"]["display_name"] == world.bob.display_name


def test_a_list_is_one_statement_however_many_rows_and_kinds(
    kinds, world, client_a, bearer, django_assert_num_queries
):
    alice = bearer(world.alice)
    _get(client_a, "/api/v1/content/", alice)  # the token, the user and the shape: warm
    _get(client_a, "/api/v1/content/?scope=shared", alice)
    with django_assert_num_queries(1):
        few = _get(client_a, "/api/v1/content/?limit=2", alice)
    _get(client_a, "/api/v1/content/?limit=50", alice)
    with django_assert_num_queries(1):
        many = _get(client_a, "/api/v1/content/?limit=50", alice)
    with django_assert_num_queries(1):
        _get(client_a, "/api/v1/content/?scope=shared", alice)
    assert len(few["results"]) == 2 and len(many["results"]) >= 6
    # A later page (a cursor) and a tag: built per request, still one statement.
    with django_assert_num_queries(1):
        later = _get(client_a, few["next"], alice)
    with django_assert_num_queries(1):
        _get(client_a, "/api/v1/content/?tag=week-1", alice)
    assert [entry["id"] for entry in few["results"] + later["results"]] == [
        entry["id"] for entry in many["results"][:4]
    ]


def test_another_institution_s_viewer_gets_none_of_it(kinds, world, client_b, bearer):
    charlie = bearer(world.charlie, world.tenant_b)
    with schema_context(world.tenant_b.schema_name):
        content_create_document(actor=world.charlie, title="Charlie's own")
    for path in (
        "/api/v1/content/",
        "/api/v1/content/?scope=shared",
        "/api/v1/content/?tag=week-1",
    ):
        entries = _get(client_b, path, charlie)["results"]
        assert not {entry["id"] for entry in entries} & set(kinds.values()), path
        assert "Alice" not in str(entries)
    assert client_b.get(f"/api/v1/groups/{kinds['group']}/content/", **charlie).status_code == 404
    assert client_b.get(f"/api/v1/content/{kinds['file']}", **charlie).status_code == 404


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kolkata"])
def test_dates_are_written_as_drf_writes_them(zone):
    drf = serializers.DateTimeField().to_representation
    values = [
        datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        datetime.datetime(2026, 7, 2, 23, 59, 59, 123456, tzinfo=datetime.UTC),
        datetime.datetime(2026, 3, 29, 1, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin")),
        datetime.datetime(2026, 3, 29, 1, 30),  # naive
        None,
        "2026-01-01T00:00:00Z",
    ]
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        when = datetimes()
        for value in values:
            assert when(value) == drf(value), (zone, value)
