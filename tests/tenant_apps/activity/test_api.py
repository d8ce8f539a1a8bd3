"""Activity API and pages: feeds, notifications, preferences; bounded queries, opaque ids,
another institution's ids answer 404, bad input answers a problem."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tenant_apps.content.services import (
    comment_create,
    content_create_document,
    content_share,
)
from tenant_apps.groups.services import group_create, group_join
from tests.conftest import sign_in
from tests.tenant_apps.activity.conftest import bearer, fan_out, patch_json, person, post_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(world):
    """Alice shares three documents with Bob and comments on one; all fanned out."""
    with schema_context(world.tenant_a.schema_name):
        docs = []
        for title in ("Week 1 notes", "Week 2 notes", "Week 3 notes"):
            doc = content_create_document(actor=world.alice, title=title)
            content_share(actor=world.alice, item=doc, principals=[world.bob], role="viewer")
            docs.append(doc)
        comment_create(actor=world.alice, item=docs[0], body="Read this first")
    fan_out(world)
    return docs


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def test_my_feed_in_keyset_pages_with_opaque_ids_only(client_a, world, shared):
    bob = bearer(world, world.bob)
    first = client_a.get("/api/v1/activity/?limit=2", **bob).json()
    assert [e["summary"] for e in first["results"]] == [
        "Alice Archer commented on Week 1 notes",
        "Alice Archer shared Week 3 notes with you",
    ]
    entry = first["results"][0]
    assert entry["id"].startswith("a_") and entry["object"]["id"].startswith("c_")
    assert entry["actors"] == [{"id": world.alice.public_id, "display_name": "Alice Archer"}]
    assert "alice" not in str(first).replace("Alice", "")  # no username, no e-mail
    assert "@" not in str(first)
    seen = [e["id"] for e in first["results"]]
    url = first["next"]
    while url:
        page = client_a.get(url, **bob).json()
        seen += [e["id"] for e in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 7  # 1 comment, 3 shares, 3 creations


def test_feed_and_notification_pages_cost_a_bounded_number_of_queries(
    client_a, world, shared, django_assert_max_num_queries
):
    more = [person(world, f"reader{i}") for i in range(5)]
    with schema_context(world.tenant_a.schema_name):
        for doc in shared:
            content_share(actor=world.alice, item=doc, principals=more, role="viewer")
            for who in more:
                comment_create(actor=who, item=doc, body="Noted")
    fan_out(world)
    bob = bearer(world, world.bob)
    # The host's lookup and two SETs and the current terms' number (first request of a cold
    # process only: account.selectors keeps it per process), the token and its last use;
    # then the page in one query (and its anchor, on later pages).
    with django_assert_max_num_queries(7):
        first = client_a.get("/api/v1/activity/?limit=3", **bob).json()
    assert 1 <= len(first["results"]) <= 3 and first["next"]  # from at most 9 activities
    with django_assert_max_num_queries(4):
        client_a.get(first["next"], **bob)
    with django_assert_max_num_queries(3):
        notes = client_a.get("/api/v1/notifications/?limit=2", **bob).json()
    with django_assert_max_num_queries(4):
        client_a.get(notes["next"], **bob)
    sign_in(client_a, world.bob, world.tenant_a)
    # The home page is the dashboard (issue 14): its own fixed cost (unread counts, my items,
    # shared with me, my groups, invitations) comes on top of the feed's.
    bounds = {"/": 15, "/notifications/": 9, "/activity/": 9, "/notifications/preferences": 9}
    for path, bound in bounds.items():
        with django_assert_max_num_queries(bound):
            assert client_a.get(path).status_code == 200


def test_notifications_list_mark_one_and_all_read(client_a, world, shared):
    bob = bearer(world, world.bob)
    assert client_a.get("/api/v1/notifications/unread", **bob).json() == {"unread": 3}
    listed = client_a.get("/api/v1/notifications/", **bob).json()["results"]
    assert [n["category"] for n in listed] == ["shares"] * 3
    assert listed[0]["id"].startswith("n_") and listed[0]["is_read"] is False
    marked = post_json(client_a, "/api/v1/notifications/", {"read": [listed[0]["id"]]}, **bob)
    assert marked.json() == {"changed": 1, "unread": 2}
    marked = post_json(client_a, "/api/v1/notifications/", {"all": True}, **bob)
    assert marked.json() == {"changed": 2, "unread": 0}
    _problem(post_json(client_a, "/api/v1/notifications/", {}, **bob), 400)
    _problem(post_json(client_a, "/api/v1/notifications/", {"read": "n_x"}, **bob), 400)
    _problem(client_a.get("/api/v1/activity/?limit=0", **bob), 400)
    _problem(client_a.get("/api/v1/activity/?after=a_nosuchpage", **bob), 404)
    _problem(client_a.get("/api/v1/notifications/?after=n_nosuchpage", **bob), 404)


def test_another_institution_holding_the_ids_gets_404_and_nothing(
    client_a, client_b, world, shared
):
    with schema_context(world.tenant_a.schema_name):
        group = group_create(actor=world.alice, title="Alpha only", join_policy="open")
    fan_out(world)
    charlie = bearer(world, world.charlie, world.tenant_b)
    for path in (
        f"/api/v1/groups/{group.public_id}/activity/",
        f"/api/v1/content/{shared[0].public_id}/activity/",
    ):
        body = _problem(client_b.get(path, **charlie), 404)
        assert "Week" not in str(body) and "Alpha only" not in str(body)
    bobs = client_a.get("/api/v1/notifications/", **bearer(world, world.bob)).json()["results"]
    marked = post_json(client_b, "/api/v1/notifications/", {"read": [bobs[0]["id"]]}, **charlie)
    assert marked.json() == {"changed": 0, "unread": 0}
    feed = client_b.get("/api/v1/activity/", **charlie).json()
    assert feed == {"results": [], "next": None}
    _problem(client_b.get(f"/api/v1/activity/?after={bobs[0]['activity']['id']}", **charlie), 404)
    # A token of one institution is worthless on the other's host.
    assert client_a.get("/api/v1/activity/", **charlie).status_code == 401


def test_peers_without_a_share_get_404_for_an_items_feed(client_a, world):
    with schema_context(world.tenant_a.schema_name):
        doc = content_create_document(actor=world.alice, title="Secret")
        group = group_create(actor=world.alice, title="Hidden", visibility="private")
    fan_out(world)
    bob = bearer(world, world.bob)
    _problem(client_a.get(f"/api/v1/content/{doc.public_id}/activity/", **bob), 404)
    _problem(client_a.get(f"/api/v1/groups/{group.public_id}/activity/", **bob), 404)
    alice = bearer(world, world.alice)
    item_feed = client_a.get(f"/api/v1/content/{doc.public_id}/activity/", **alice).json()
    assert [e["verb"] for e in item_feed["results"]] == ["content.created"]


def test_a_groups_feed_shows_joins_to_those_who_may_see_it(client_a, world):
    with schema_context(world.tenant_a.schema_name):
        group = group_create(actor=world.alice, title="Open choir", join_policy="open")
        group_join(actor=world.bob, group=group)
    fan_out(world)
    bob = bearer(world, world.bob)
    feed = client_a.get(f"/api/v1/groups/{group.public_id}/activity/", **bob).json()
    assert [e["summary"] for e in feed["results"]] == [
        "You joined Open choir",
        "Alice Archer created the group Open choir",
    ]


def test_email_preferences_read_and_change(client_a, world):
    bob = bearer(world, world.bob)
    prefs = client_a.get("/api/v1/me/preferences", **bob).json()
    assert prefs == {
        "email": {
            "shares": "daily",
            "comments": "daily",
            "messages": "immediate",
            "groups": "daily",
            "connections": "daily",
            "discussions": "daily",
        }
    }
    changed = patch_json(
        client_a, "/api/v1/me/preferences", {"email": {"shares": "weekly"}}, **bob
    ).json()
    assert changed["email"]["shares"] == "weekly"
    body = _problem(
        patch_json(client_a, "/api/v1/me/preferences", {"email": {"shares": "hourly"}}, **bob),
        400,
    )
    assert "shares" in body["errors"]
    _problem(
        patch_json(client_a, "/api/v1/me/preferences", {"email": {"spam": "never"}}, **bob), 400
    )
    _problem(patch_json(client_a, "/api/v1/me/preferences", {"email": "never"}, **bob), 400)
    assert client_a.get("/api/v1/me/preferences").status_code in (401, 403)


def test_pages_show_the_badge_the_dashboard_feed_and_mark_read(client_a, world, shared):
    sign_in(client_a, world.bob, world.tenant_a)
    home = client_a.get("/").content.decode()
    assert 'id="unread-badge"' in home and 'data-count="3"' in home
    assert "Alice Archer shared Week 3 notes with you" in home
    assert "<script>" not in home  # JavaScript lives in static files (CSP)
    page = client_a.get("/notifications/").content.decode()
    assert page.count("Mark read") == 3
    client_a.post("/notifications/read", {})
    assert 'data-count="0"' in client_a.get("/notifications/").content.decode()
    fragment = client_a.get("/activity/?fragment=1").content.decode()
    assert "<html" not in fragment and "Week 1 notes" in fragment
    saved = client_a.post("/notifications/preferences", {"shares": "never"}, follow=True)
    assert "saved" in saved.content.decode()
    assert client_a.get("/api/v1/me/preferences").json()["email"]["shares"] == "never"
    bad = client_a.post("/notifications/preferences", {"shares": "hourly"})
    assert bad.status_code == 200 and "Choose one of" in bad.content.decode()


def test_pages_need_a_sign_in(client_a):
    for path in ("/notifications/", "/activity/", "/notifications/preferences"):
        response = client_a.get(path)
        assert response.status_code == 302 and "/signin" in response["Location"]
