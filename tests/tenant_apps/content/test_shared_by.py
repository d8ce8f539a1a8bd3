"""Who shared it: "Shared with me" and the item page name the person who shared an item with
the viewer (visible name only), in a bounded number of queries."""

from __future__ import annotations

import datetime
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from tenant_apps.content.models import Share, ShareRole
from tenant_apps.content.services import content_share, content_upload_file
from tenant_apps.groups.services import group_create, group_join
from tenant_apps.institution.models import Visibility
from tenant_apps.people.models import User
from tenant_apps.people.services import user_create
from tests.conftest import sign_in
from tests.tenant_apps.content.conftest import png_bytes, random_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob_client(world) -> Client:
    return sign_in(Client(HTTP_HOST=world.host_a), world.bob, world.tenant_a)


def _item(world, title: str, data: bytes | None = None):
    with schema_context(world.tenant_a.schema_name):
        return content_upload_file(
            actor=world.alice,
            source=io.BytesIO(data or random_bytes()),
            filename="notes.bin",
            title=title,
        )


def _share(world, item, principal) -> None:
    with schema_context(world.tenant_a.schema_name):
        content_share(actor=world.alice, item=item, principals=[principal], role=ShareRole.VIEWER)


def _shared_by_cell(html: str, title: str) -> str:
    row = html.split(title, 1)[1].split("</tr>", 1)[0]
    return row.split('data-label="Shared by">', 1)[1].split("</td>", 1)[0]


def test_the_share_records_who_shared_it(world):
    item = _item(world, "Lecture notes", png_bytes())
    _share(world, item, world.bob)
    with schema_context(world.tenant_a.schema_name):
        share = Share.objects.get(item=item, user=world.bob)
        assert share.shared_by_id == world.alice.pk
        # The creator's own manager share was shared by no one.
        assert Share.objects.get(item=item, user=world.alice).shared_by_id is None


def test_shared_with_me_names_the_sharer_in_a_bounded_number_of_queries(bob_client, world):
    first = _item(world, "Item 0")
    _share(world, first, world.bob)
    with CaptureQueriesContext(connection) as one:
        html = bob_client.get("/content/shared").content.decode()
    cell = _shared_by_cell(html, "Item 0")
    assert f'href="/people/{world.alice.public_id}">Alice Archer</a>' in cell
    assert "alice@example.edu" not in html and ">alice<" not in html
    for n in range(1, 6):
        _share(world, _item(world, f"Item {n}"), world.bob)
    with CaptureQueriesContext(connection) as six:
        html = bob_client.get("/content/shared").content.decode()
    assert all("Alice Archer" in _shared_by_cell(html, f"Item {n}") for n in range(6))
    # One query for all the sharers, however many items the page holds.
    assert len(six.captured_queries) <= len(one.captured_queries)
    assert len(six.captured_queries) <= 11


def test_an_item_shared_through_a_group_names_the_sharer(bob_client, world):
    with schema_context(world.tenant_a.schema_name):
        group = group_create(actor=world.alice, title="Cell biology", join_policy="open")
        group_join(actor=world.bob, group=group)
    item = _item(world, "Group notes")
    _share(world, item, group)
    assert "Alice Archer" in _shared_by_cell(
        bob_client.get("/content/shared").content.decode(), "Group notes"
    )
    page = bob_client.get(f"/content/{item.public_id}").content.decode()
    assert "Alice Archer</a> shared this with you." in page


def test_the_item_page_says_who_shared_it_with_the_viewer(
    bob_client, world, django_assert_max_num_queries
):
    item = _item(world, "Lecture notes", png_bytes())
    _share(world, item, world.bob)
    with django_assert_max_num_queries(20):
        page = bob_client.get(f"/content/{item.public_id}").content.decode()
    shared_by = page.split('id="shared-by">', 1)[1].split("</p>", 1)[0]
    assert f'href="/people/{world.alice.public_id}">Alice Archer</a> shared this with you.' in (
        shared_by
    )
    assert "alice@example.edu" not in page
    # The creator is told nothing of the kind.
    alice = sign_in(Client(HTTP_HOST=world.host_a), world.alice, world.tenant_a)
    assert 'id="shared-by"' not in alice.get(f"/content/{item.public_id}").content.decode()


def test_shares_older_than_the_column_say_only_that_it_was_shared(bob_client, world):
    item = _item(world, "Old notes")
    _share(world, item, world.bob)
    with schema_context(world.tenant_a.schema_name):
        Share.objects.filter(item=item, user=world.bob).update(shared_by=None)
    page = bob_client.get(f"/content/{item.public_id}").content.decode()
    assert "This was shared with you." in page and "Alice Archer</a> shared" not in page
    cell = _shared_by_cell(bob_client.get("/content/shared").content.decode(), "Old notes")
    assert "Alice" not in cell


def test_another_institution_sees_none_of_it(world):
    item = _item(world, "Lecture notes")
    _share(world, item, world.bob)
    charlie = sign_in(Client(HTTP_HOST=world.host_b), world.charlie, world.tenant_b)
    assert charlie.get(f"/content/{item.public_id}").status_code == 404
    shared = charlie.get("/content/shared").content.decode()
    assert "Lecture notes" not in shared and "Alice" not in shared


def _people(world, count: int) -> list:
    with schema_context(world.tenant_a.schema_name):
        return [
            user_create(
                username=f"reader{n}", email=f"reader{n}@example.edu", display_name=f"Reader {n}"
            )
            for n in range(count)
        ]


def test_the_api_names_who_shared_each_share_without_a_query_each(
    world, bearer, client_a, django_assert_max_num_queries
):
    item = _item(world, "Seminar plan")
    with schema_context(world.tenant_a.schema_name):
        # Bob manages it and shares it on; the item's creator shared it with Bob.
        content_share(actor=world.alice, item=item, principals=[world.bob], role=ShareRole.MANAGER)
        group = group_create(actor=world.bob, title="Seminar")
        content_share(actor=world.bob, item=item, principals=[group], role=ShareRole.VIEWER)
    alice = bearer(world.alice)
    url = f"/api/v1/content/{item.public_id}/shares/"
    with CaptureQueriesContext(connection) as few:
        shares = client_a.get(url, **alice).json()["results"]
    by_principal = {share["principal"]["id"]: share for share in shares}
    assert by_principal[group.public_id]["shared_by"] == {
        "id": world.bob.public_id,
        "display_name": "Bob Baker",
    }
    assert by_principal[world.bob.public_id]["shared_by"]["id"] == world.alice.public_id
    assert by_principal[world.alice.public_id]["shared_by"] is None  # the creator's own
    assert all(share["created"] for share in shares)
    assert "example.edu" not in str(shares)
    with schema_context(world.tenant_a.schema_name):
        content_share(
            actor=world.alice, item=item, principals=_people(world, 6), role=ShareRole.VIEWER
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        shares = client_a.get(url, **alice).json()["results"]
    assert len(shares) == 9


def test_the_api_hides_a_sharer_s_private_name(world, bearer, client_a):
    item = _item(world, "Seminar plan")
    _share(world, item, world.bob)
    with schema_context(world.tenant_a.schema_name):
        User.objects.filter(pk=world.alice.pk).update(display_name_visibility=Visibility.PRIVATE)
        content_share(actor=world.alice, item=item, principals=[world.bob], role=ShareRole.MANAGER)
    shares = client_a.get(f"/api/v1/content/{item.public_id}/shares/", **bearer(world.bob)).json()[
        "results"
    ]
    bob_share = next(s for s in shares if s["principal"]["id"] == world.bob.public_id)
    assert bob_share["shared_by"] == {"id": world.alice.public_id, "display_name": ""}


def test_the_api_answers_another_institution_404(world, bearer, client_b):
    item = _item(world, "Seminar plan")
    _share(world, item, world.bob)
    response = client_b.get(
        f"/api/v1/content/{item.public_id}/shares/", **bearer(world.charlie, world.tenant_b)
    )
    assert response.status_code == 404
    assert "Alice" not in response.content.decode()


def test_managers_see_who_shared_each_share_on_the_item_page(world, django_assert_max_num_queries):
    item = _item(world, "Seminar plan")
    with schema_context(world.tenant_a.schema_name):
        content_share(actor=world.alice, item=item, principals=[world.bob], role=ShareRole.MANAGER)
        group = group_create(actor=world.bob, title="Seminar")
        content_share(actor=world.bob, item=item, principals=[group], role=ShareRole.VIEWER)
    alice = sign_in(Client(HTTP_HOST=world.host_a), world.alice, world.tenant_a)
    with CaptureQueriesContext(connection) as few:
        page = alice.get(f"/content/{item.public_id}").content.decode()
    shares = page.split('id="shares"', 1)[1].split("</ul>", 1)[0]
    today = timezone.localdate().strftime("%-d %b %Y")
    assert f"Viewer, shared by Bob Baker on {today}" in shares
    assert f"Manager, shared by Alice Archer on {today}" in shares
    assert "example.edu" not in page
    with schema_context(world.tenant_a.schema_name):
        content_share(
            actor=world.alice, item=item, principals=_people(world, 6), role=ShareRole.VIEWER
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = alice.get(f"/content/{item.public_id}").content.decode()
    assert page.count("shared by Alice Archer on") == 7


def test_a_role_change_dates_the_share_from_its_new_sharer(world, bearer, client_a):
    """The sharer and the date shown belong together: a role set again by another manager
    names them and today's date, while ``created`` keeps the first share's date."""
    item = _item(world, "Seminar plan")
    long_ago = timezone.now() - datetime.timedelta(days=400)
    with schema_context(world.tenant_a.schema_name):
        content_share(actor=world.alice, item=item, principals=[world.bob], role=ShareRole.MANAGER)
        carol = _people(world, 1)[0]
        content_share(actor=world.alice, item=item, principals=[carol], role=ShareRole.VIEWER)
        Share.objects.filter(item=item, user=carol).update(created=long_ago, shared=long_ago)
        content_share(actor=world.bob, item=item, principals=[carol], role=ShareRole.EDITOR)
    alice = sign_in(Client(HTTP_HOST=world.host_a), world.alice, world.tenant_a)
    page = alice.get(f"/content/{item.public_id}").content.decode()
    shares = page.split('id="shares"', 1)[1].split("</ul>", 1)[0]
    today = timezone.localdate().strftime("%-d %b %Y")
    assert f"Editor, shared by Bob Baker on {today}" in shares
    assert long_ago.strftime("%-d %b %Y") not in shares
    body = client_a.get(f"/api/v1/content/{item.public_id}/shares/", **bearer(world.alice)).json()
    carols = next(s for s in body["results"] if s["principal"]["id"] == carol.public_id)
    assert carols["shared_by"]["id"] == world.bob.public_id
    assert carols["created"].startswith(long_ago.strftime("%Y-%m-%d"))
    assert carols["shared"][:10] == timezone.now().strftime("%Y-%m-%d")
