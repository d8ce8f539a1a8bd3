"""Following people: only those who allow it, never across a block (in the same words as any
refusal), followers and following lists that respect each person's choice to be listed, a
person's public activity in their followers' feeds and on their page; other institutions
and bad input; bounded queries."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from tenant_apps.activity.models import Notification
from tenant_apps.activity.selectors import feed_of
from tenant_apps.connections.models import Follow
from tenant_apps.connections.services import (
    CANNOT_FOLLOW,
    follow_settings_update,
    person_block,
    person_follow,
)
from tenant_apps.content.services import content_create_document
from tenant_apps.discussions.services import discussion_create
from tests.conftest import sign_in
from tests.tenant_apps.activity.conftest import (  # noqa: F401 - fixtures
    _forget_cached_counts,
    _no_committed_activities,
    fan_out,
    person,
)

pytestmark = pytest.mark.django_db


def _post(client, path, data=None, **headers):
    return client.post(path, json.dumps(data or {}), content_type="application/json", **headers)


def _patch(client, path, data, **headers):
    return client.patch(path, json.dumps(data), content_type="application/json", **headers)


def test_following_brings_public_activity_to_the_feed_and_tells_the_person(world):
    with tenant_context(world.tenant_a):
        person_follow(actor=world.bob, person=world.alice)
        person_follow(actor=world.bob, person=world.alice)  # harmless twice
        shown = discussion_create(actor=world.alice, title="Open", body="B", visibility="loggedin")
        discussion_create(actor=world.alice, title="Secret", body="B", visibility="private")
    fan_out(world)
    with tenant_context(world.tenant_a):
        entries, _ = feed_of(viewer=world.bob)
        assert [e.discussion.pk for e in entries if e.discussion] == [shown.pk]
        told = Notification.objects.get(recipient=world.alice)
        assert told.activity.verb == "person.followed" and told.category == "connections"


def test_no_one_follows_oneself_someone_who_refuses_or_across_a_block(world):
    with tenant_context(world.tenant_a):
        with pytest.raises(ValidationError):
            person_follow(actor=world.bob, person=world.bob)
        follow_settings_update(actor=world.alice, allows_followers=False)
        with pytest.raises(ValidationError) as refused:
            person_follow(actor=world.bob, person=world.alice)
        follow_settings_update(actor=world.alice, allows_followers=True)
        person_block(actor=world.alice, person=world.bob)
        with pytest.raises(ValidationError) as blocked:
            person_follow(actor=world.bob, person=world.alice)
        assert refused.value.messages == blocked.value.messages == [CANNOT_FOLLOW]


def test_refusing_followers_or_blocking_ends_follows(world):
    with tenant_context(world.tenant_a):
        carol = person(world, "carol")
        person_follow(actor=world.bob, person=world.alice)
        person_follow(actor=carol, person=world.alice)
        person_block(actor=world.alice, person=carol)
        assert list(Follow.objects.values_list("follower_id", flat=True)) == [world.bob.pk]
        follow_settings_update(actor=world.alice, allows_followers=False)
        assert not Follow.objects.exists()


def test_lists_respect_each_persons_choice_to_be_listed(client_a, world, bearer):
    with tenant_context(world.tenant_a):
        carol = person(world, "carol", "Carol Cole")
        person_follow(actor=world.bob, person=world.alice)
        person_follow(actor=carol, person=world.alice)
        follow_settings_update(actor=carol, is_listed=False)
    alice, bob, carol_h = bearer(world.alice), bearer(world.bob), bearer(carol)
    url = f"/api/v1/people/{world.alice.public_id}/followers/"
    seen = [f["person"]["id"] for f in client_a.get(url, **bob).json()["results"]]
    assert seen == [world.bob.public_id]  # Carol chose not to be listed
    mine = [
        f["person"]["id"] for f in client_a.get("/api/v1/me/followers/", **alice).json()["results"]
    ]
    assert mine == [carol.public_id, world.bob.public_id]  # one's own followers, all of them
    assert [f["person"]["id"] for f in client_a.get(url, **carol_h).json()["results"]] == [
        carol.public_id,
        world.bob.public_id,
    ]  # and oneself in any list
    # Carol's own lists are hidden from others.
    assert client_a.get(f"/api/v1/people/{carol.public_id}/following/", **bob).status_code == 404
    following = client_a.get("/api/v1/me/following/", **carol_h).json()["results"]
    assert [f["person"]["id"] for f in following] == [world.alice.public_id]
    assert "carol@example.edu" not in json.dumps(following)


def test_the_api(client_a, client_b, world, bearer):
    alice, bob = bearer(world.alice), bearer(world.bob)
    url = f"/api/v1/people/{world.alice.public_id}/follow"
    made = _post(client_a, url, **bob)
    assert made.status_code == 201 and made.json()["following"] is True
    assert client_a.get("/api/v1/me/following-settings", **alice).json() == {
        "allows_followers": True,
        "listed": True,
    }
    assert (
        _patch(client_a, "/api/v1/me/following-settings", {"listed": False}, **alice).json()[
            "listed"
        ]
        is False
    )
    assert _patch(client_a, "/api/v1/me/following-settings", {}, **alice).status_code == 400
    assert (
        _patch(client_a, "/api/v1/me/following-settings", {"listed": "maybe"}, **alice).status_code
        == 400
    )
    assert client_a.delete(url, **bob).status_code == 204
    assert _post(client_a, f"/api/v1/people/{world.bob.public_id}/follow", **bob).status_code == 400
    assert _post(client_a, "/api/v1/people/u_nosuch/follow", **bob).status_code == 404
    # Charlie, of another institution, holding Alice's id: nothing at all.
    charlie = bearer(world.charlie, world.tenant_b)
    for path in (url, f"/api/v1/people/{world.alice.public_id}/activity/"):
        assert _post(client_b, path, **charlie).status_code in (404, 405)
    for path in ("followers/", "following/", "activity/"):
        response = client_b.get(f"/api/v1/people/{world.alice.public_id}/{path}", **charlie)
        assert response.status_code == 404 and "Alice" not in response.content.decode()


def test_a_persons_activity_shows_what_the_viewer_may_see(client_a, world, bearer):
    with tenant_context(world.tenant_a):
        content_create_document(actor=world.alice, title="Private notes")
        discussion_create(actor=world.alice, title="Open topic", body="B", visibility="public")
    url = f"/api/v1/people/{world.alice.public_id}/activity/"
    seen = client_a.get(url, **bearer(world.bob)).json()["results"]
    assert [e["object"]["title"] for e in seen] == ["Open topic"]
    # Alice's name is for signed-in members: to a visitor she is not there at all.
    assert client_a.get(url).status_code == 404
    own = client_a.get(url, **bearer(world.alice)).json()["results"]
    assert {e["object"]["title"] for e in own} == {"Open topic", "Private notes"}
    with tenant_context(world.tenant_a):
        follow_settings_update(actor=world.alice, allows_followers=False)
    assert client_a.get(url, **bearer(world.bob)).status_code == 404
    assert client_a.get(f"/people/{world.alice.public_id}/activity").status_code == 404


def test_pages_follow_and_list(client_a, client_b, world):
    sign_in(client_a, world.bob, world.tenant_a)
    profile = client_a.get(f"/people/{world.alice.public_id}")
    assert b'value="follow"' in profile.content
    done = client_a.post(f"/people/{world.alice.public_id}/follow", {"action": "follow"})
    assert done.status_code == 302
    assert b"Stop following" in client_a.get(f"/people/{world.alice.public_id}").content
    listed = client_a.get(f"/people/{world.alice.public_id}/followers")
    assert b"Bob Baker" in listed.content
    assert client_a.get(f"/people/{world.alice.public_id}/activity").status_code == 200
    saved = client_a.post("/connections/following", {"listed": "on"})
    assert saved.status_code == 302
    with tenant_context(world.tenant_a):
        assert not Follow.objects.filter(followed=world.bob).exists()
    sign_in(client_b, world.charlie, world.tenant_b)
    for path in ("", "/followers", "/following", "/activity"):
        assert client_b.get(f"/people/{world.alice.public_id}{path}").status_code == 404
    assert client_b.post(f"/people/{world.alice.public_id}/follow").status_code == 404


def test_lists_and_activity_cost_a_bounded_number_of_queries(
    client_a, world, bearer, django_assert_max_num_queries
):
    with tenant_context(world.tenant_a):
        for n in range(30):
            follower = person(world, f"f{n}", f"Follower {n}")
            person_follow(actor=follower, person=world.alice)
            discussion_create(actor=world.alice, title=f"T{n}", body="B")
    bob = bearer(world.bob)
    with django_assert_max_num_queries(8):
        page = client_a.get(f"/api/v1/people/{world.alice.public_id}/followers/?limit=25", **bob)
    assert len(page.json()["results"]) == 25
    with django_assert_max_num_queries(10):
        feed = client_a.get(f"/api/v1/people/{world.alice.public_id}/activity/?limit=25", **bob)
    assert len(feed.json()["results"]) == 25
