"""Learned SQL shapes of hot lists (config.db.shapes): every viewer gets exactly the page
a freshly built queryset gives, in every institution, for one statement."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from config.db import shapes as shapes_module
from config.db.shapes import SqlShapes, shapes
from tenant_apps.activity.models import Activity, FeedEntry
from tenant_apps.activity.selectors import WINDOW_FACTOR, feed_of
from tenant_apps.connections.models import Connection
from tenant_apps.content.access import _item_read, access_content
from tenant_apps.content.models import ContentItem
from tenant_apps.content.selectors import (
    COMMENT_VALUES,
    SHARE_VALUES,
    comments_of,
    comments_shown,
    shares_of,
    shares_shown,
)
from tenant_apps.content.services import comment_create, content_create_document, content_share
from tenant_apps.groups.services import group_create, group_invite
from tenant_apps.home.selectors import dashboard
from tenant_apps.people.models import User
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

LISTS = (
    "/api/v1/content/",
    "/api/v1/content/?scope=shared",
    "/api/v1/groups/",
    "/api/v1/groups/?mine=1",
    "/api/v1/people/",
    "/api/v1/content/?limit=2",
    "/api/v1/people/?limit=2",
)


@pytest.fixture(autouse=True)
def _no_shapes():
    shapes.clear()
    yield
    shapes.clear()


@pytest.fixture
def library(world):
    """Items, shares and groups that make each viewer's lists differ."""
    with schema_context(world.tenant_a.schema_name):
        for n in range(3):
            content_create_document(actor=world.alice, title=f"Alice's {n}", visibility="private")
            content_create_document(actor=world.bob, title=f"Bob's {n}", visibility="loggedin")
        secret = content_create_document(actor=world.bob, title="Bob's secret")
        content_share(actor=world.bob, item=secret, principals=[world.alice], role="editor")
        group = group_create(actor=world.bob, title="Bob's private", visibility="private")
        group_invite(actor=world.bob, group=group, person=world.alice)
        group_create(actor=world.admin_a, title="Everyone's", visibility="loggedin")
    with schema_context(world.tenant_b.schema_name):
        content_create_document(actor=world.charlie, title="Charlie's", visibility="private")
        group_create(actor=world.charlie, title="Charlie's group", visibility="private")


def _page(client, path: str, headers: dict) -> dict:
    response = client.get(path, **headers)
    assert response.status_code == 200, response.content[:300]
    return response.json()


def test_every_viewer_gets_the_page_a_fresh_query_gives(
    library, world, client_a, client_b, bearer, settings
):
    viewers = [
        (client_a, bearer(world.alice)),
        (client_a, bearer(world.bob)),
        (client_a, bearer(world.admin_a)),  # an admin: other flags, its own shape
        (client_b, bearer(world.charlie, world.tenant_b)),  # the same shapes, B's rows
    ]
    for path in LISTS:
        for client, headers in viewers:
            settings.SQL_SHAPES_CACHED = True
            learned = _page(client, path, headers)
            again = _page(client, path, headers)
            settings.SQL_SHAPES_CACHED = False
            fresh = _page(client, path, headers)
            assert learned == fresh == again, path
    assert len(shapes) >= 6  # learned, not refused: the lists above ran from shapes
    bobs = _page(client_a, "/api/v1/content/", bearer(world.bob))["results"]
    titles = {row["title"] for row in bobs}
    assert "Alice's 0" not in titles and "Bob's secret" in titles
    shared = _page(client_a, "/api/v1/content/?scope=shared", bearer(world.alice))["results"]
    assert [row["title"] for row in shared] == ["Bob's secret"]
    assert shared[0]["can_edit"] is True and shared[0]["can_manage"] is False
    charlie = _page(client_b, "/api/v1/content/", bearer(world.charlie, world.tenant_b))
    assert [row["title"] for row in charlie["results"]] == ["Charlie's"]


def test_the_next_link_of_a_learned_page_leads_on(library, world, client_a, bearer):
    alice = bearer(world.alice)
    first = _page(client_a, "/api/v1/content/?limit=2", alice)
    assert first["next"]
    second = _page(client_a, first["next"], alice)
    assert {r["id"] for r in first["results"]}.isdisjoint({r["id"] for r in second["results"]})
    with schema_context(world.tenant_a.schema_name):
        expected = list(
            ContentItem.objects.filter(created_by=world.alice)
            .order_by("-created", "-id")
            .values_list("public_id", flat=True)[:4]
        )
    assert [r["id"] for r in first["results"] + second["results"]] == expected


def test_a_learned_list_costs_one_statement_and_no_building(
    library, world, client_a, bearer, django_assert_max_num_queries, monkeypatch
):
    alice, bob = bearer(world.alice), bearer(world.bob)
    _page(client_a, "/api/v1/content/", alice)  # learns the shape (and warms the caches)
    _page(client_a, "/api/v1/content/", bob)
    compiled = []
    real = shapes_module._compile
    monkeypatch.setattr(shapes_module, "_compile", lambda qs: compiled.append(qs) or real(qs))
    with django_assert_max_num_queries(1):
        _page(client_a, "/api/v1/content/", alice)
    assert compiled == []


def test_a_session_and_an_anonymous_caller_get_the_same_answers(library, world, client_a):
    sign_in(client_a, world.alice, world.tenant_a)
    with_shapes = _page(client_a, "/api/v1/groups/", {})
    client_a.logout()
    anonymous = _page(client_a, "/api/v1/groups/", {})  # not shaped: no viewer id
    assert {g["title"] for g in with_shapes["results"]} >= {"Bob's private", "Everyone's"}
    assert {g["title"] for g in anonymous["results"]} == set()  # no public groups here


def test_a_shape_whose_sql_does_not_only_vary_by_the_viewers_id_is_refused(world):
    learned = SqlShapes()
    with schema_context(world.tenant_a.schema_name):

        def derived(viewer):  # a value computed from the id: not a plain slot
            return User.objects.filter(pk__in=[viewer.pk, viewer.pk + 1]).order_by("id")

        def inlined(viewer):  # the id inside the text: the texts differ
            where = [f"id = {int(viewer.pk)}"]
            return User.objects.extra(where=where).order_by("id")  # noqa: S610

        for build in (derived, inlined):
            assert learned.rows(build.__name__, world.alice, build) == list(build(world.alice))
            assert learned.rows(build.__name__, world.bob, build) == list(build(world.bob))
        assert learned.rows("inlined", world.bob, inlined) == [world.bob]
    assert all(value is shapes_module._REFUSED for value in learned._shapes.values())


def test_the_learned_text_is_what_django_compiles(world):
    learned = SqlShapes()

    def build(viewer):
        return User.objects.filter(pk=viewer.pk).order_by("id")

    with schema_context(world.tenant_a.schema_name):
        with CaptureQueriesContext(connection) as fresh:
            assert list(build(world.bob)) == [world.bob]
        learned.rows("one", world.alice, build)
        with CaptureQueriesContext(connection) as replayed:
            assert learned.rows("one", world.bob, build) == [world.bob]
    selects = [q["sql"] for q in fresh.captured_queries if q["sql"].startswith("SELECT")]
    assert [q["sql"] for q in replayed.captured_queries] == selects
    assert str(world.bob.pk) in selects[0]  # (the statement with its values, as run)


def test_a_list_built_with_values_is_replayed_as_the_same_dicts(library, world):
    learned = SqlShapes()

    def build(viewer):
        items = ContentItem.objects.filter(created_by=viewer).order_by("-created", "-id")
        return items.values("public_id", "title", "created_by__display_name")

    with schema_context(world.tenant_a.schema_name):
        for viewer in (world.alice, world.bob, world.alice):  # learns, then replays
            rows = learned.rows("values", viewer, build)
            assert rows == list(build(viewer)) and rows
            assert all(type(row) is dict for row in rows)
    assert len(learned) == 1
    assert shapes_module._REFUSED not in learned._shapes.values()  # learned, not refused


def test_an_item_s_lists_are_learned_by_item_and_read_in_each_institution(world):
    items = {}
    for tenant, owner in ((world.tenant_a, world.alice), (world.tenant_b, world.charlie)):
        with schema_context(tenant.schema_name):
            for n in range(2):
                item = content_create_document(actor=owner, title=f"{tenant.slug} {n}")
                for k in range(n + 2):
                    comment_create(actor=owner, item=item, body=f"{tenant.slug} {n} {k}")
                items.setdefault(tenant.schema_name, []).append(item)
    owner_of = {world.tenant_a.schema_name: world.alice, world.tenant_b.schema_name: world.charlie}
    for schema, its in (*items.items(), *items.items()):  # learns, then replays
        with schema_context(schema):
            for item in its:
                shown = comments_shown(item, 500)
                assert shown == list(
                    item.comments.order_by("created", "id").values(*COMMENT_VALUES)[:500]
                )
                # The same comments, in the same order, as the models' list.
                assert [c["public_id"] for c in shown] == [
                    c.public_id for c in comments_of(item)[:500]
                ]
                assert [c["body_html"] for c in shown] == [
                    c.body_html for c in comments_of(item)[:500]
                ]
                assert all(c["author__id"] == owner_of[schema].pk for c in shown)
                assert shares_shown(item, 8) == list(
                    item.shares.order_by("-shared", "-id").values(*SHARE_VALUES)[:8]
                )
                assert [(s["user_id"], s["group_id"]) for s in shares_shown(item, 8)] == [
                    (s.user_id, s.group_id) for s in shares_of(item)[:8]
                ]
    assert ("item-comments", 500) in {key[0] for key in shapes._shapes}
    assert shapes_module._REFUSED not in shapes._shapes.values()


def test_an_item_read_by_its_public_id_is_learned_for_every_viewer_and_id(library, world):
    def fresh(viewer, public_id):
        return list(_item_read(viewer, public_id))

    with schema_context(world.tenant_a.schema_name):
        ids = [*ContentItem.objects.values_list("public_id", flat=True), "c_missing"]
        for viewer in (world.alice, world.bob, world.admin_a, world.alice):
            for public_id in ids:
                expected = fresh(viewer, public_id)
                if not expected:
                    with pytest.raises(Http404):
                        access_content(viewer, public_id)
                    continue
                item = access_content(viewer, public_id)
                assert item == expected[0] and item.public_id == public_id
                assert (item.viewer_can_edit, item.viewer_can_manage) == (
                    expected[0].viewer_can_edit,
                    expected[0].viewer_can_manage,
                )
                assert item.title == expected[0].title
    with schema_context(world.tenant_b.schema_name):  # the same shape, B's rows
        for public_id in ids:  # A's ids: none is B's
            with pytest.raises(Http404):
                access_content(world.charlie, public_id)
        own = ContentItem.objects.get(title="Charlie's")
        assert access_content(world.charlie, own.public_id) == own
    learned = [v for k, v in shapes._shapes.items() if k[0] == "content-item"]
    assert learned and shapes_module._REFUSED not in learned
    assert all(shape.text_slots for shape in learned)


def test_the_dashboard_s_lists_are_the_same_learned_or_built(library, world, settings):
    people = [
        (world.tenant_a, world.alice),
        (world.tenant_a, world.bob),
        (world.tenant_a, world.admin_a),
        (world.tenant_b, world.charlie),
    ]
    lists = ("my_items", "shared_items", "groups", "unread_threads", "unread", "invitations")
    with schema_context(world.tenant_a.schema_name):
        Connection.objects.create(inviter=world.bob, invitee=world.alice, status="pending")
        Connection.objects.create(inviter=world.admin_a, invitee=world.alice, status="pending")
    for tenant, person in (*people, *people):  # learns, then replays
        with schema_context(tenant.schema_name):
            settings.SQL_SHAPES_CACHED = True
            learned = dashboard(person)
            settings.SQL_SHAPES_CACHED = False
            built = dashboard(person)
        for name in lists:
            if isinstance(built[name], list):
                assert [str(row) for row in learned[name]] == [str(row) for row in built[name]]
            assert learned[name] == built[name], (person.username, name)
    with schema_context(world.tenant_a.schema_name):
        assert dashboard(world.alice)["invitations"] == 2
        assert dashboard(world.bob)["invitations"] == 0
    assert {"home-mine", "home-shared", "home-groups", "home-invitations", "unread-counts"} <= {
        key[0] for key in shapes._shapes
    }
    assert shapes_module._REFUSED not in shapes._shapes.values()


def test_a_feed_s_first_page_is_the_same_learned_or_built(library, world, settings):
    people = [
        (world.tenant_a, world.alice),
        (world.tenant_a, world.bob),
        (world.tenant_a, world.admin_a),
        (world.tenant_b, world.charlie),
    ]
    for tenant, person in people:  # everyone's feed holds every activity of their institution
        with schema_context(tenant.schema_name):
            FeedEntry.objects.bulk_create(
                [FeedEntry(user=person, activity=activity) for activity in Activity.objects.all()]
            )
    shown = 0
    for tenant, person in (*people, *people):  # learns, then replays
        with schema_context(tenant.schema_name):
            settings.SQL_SHAPES_CACHED = True
            learned, learned_next = feed_of(viewer=person, size=3)
            settings.SQL_SHAPES_CACHED = False
            built, built_next = feed_of(viewer=person, size=3)
            later = feed_of(viewer=person, after=learned_next, size=3) if learned_next else None
            settings.SQL_SHAPES_CACHED = True
            assert later is None or later == feed_of(viewer=person, after=learned_next, size=3)
        assert learned == built and learned_next == built_next, person.username
        shown += len(learned)
    assert shown
    assert any(key[0] == ("feed", 3 * WINDOW_FACTOR) for key in shapes._shapes)
    assert shapes_module._REFUSED not in shapes._shapes.values()
