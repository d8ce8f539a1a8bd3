"""The group library: items shared with a group, filtered by the content library's one
permission rule - members see what is shared with the group, everyone else only what
they may see anyway, and a group one may not see has no library (404)."""

from __future__ import annotations

import json
import re

import pytest
from django_tenants.utils import schema_context

from tenant_apps.content.models import Share
from tenant_apps.content.services import content_add_link, content_share
from tenant_apps.groups.services import group_create, group_invite, group_join, group_leave
from tenant_apps.people.services import user_create
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

MEMBER_SEES = {"Private notes", "Campus news", "Open lecture", "Direct to Bob"}
PEER_SEES = {"Campus news", "Open lecture", "Direct to Bob"}  # Bob: not a member
VISITOR_SEES = {"Open lecture"}


def _is_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def _link(world, title, *, visibility, actor=None, groups=(), people=(), role="viewer"):
    with schema_context(world.tenant_a.schema_name):
        item = content_add_link(
            actor=actor or world.alice,
            url=f"https://example.org/{title.replace(' ', '-').lower()}",
            title=title,
            visibility=visibility,
        )
        if groups or people:
            content_share(
                actor=actor or world.alice, item=item, principals=[*groups, *people], role=role
            )
    return item


@pytest.fixture
def library(world):
    """Alice's group (visibility set per test) with Dora as a member, and items around it."""

    def build(visibility: str):
        with schema_context(world.tenant_a.schema_name):
            group = group_create(
                actor=world.alice, title="Seminar", visibility=visibility, join_policy="invitation"
            )
            dora = user_create(username="dora", display_name="Dora Dean")
            group_invite(actor=world.alice, group=group, person=dora)
            group_join(actor=dora, group=group)
        _link(world, "Private notes", visibility="private", groups=[group])
        _link(world, "Campus news", visibility="loggedin", groups=[group])
        _link(world, "Open lecture", visibility="public", groups=[group])
        _link(world, "Direct to Bob", visibility="private", groups=[group], people=[world.bob])
        _link(world, "Not in the library", visibility="public")
        return group, dora

    return build


@pytest.mark.parametrize("visibility", ["public", "loggedin", "private"])
@pytest.mark.parametrize("viewer", ["member", "peer", "visitor", "other institution"])
def test_the_library_in_the_api_follows_the_one_rule(
    client_a, client_b, world, library, visibility, viewer, bearer
):
    group, dora = library(visibility)
    path = f"/api/v1/groups/{group.public_id}/content/"
    expected = None  # 404
    if viewer == "member":
        response, expected = client_a.get(path, **bearer(dora)), MEMBER_SEES
    elif viewer == "peer":
        response = client_a.get(path, **bearer(world.bob))
        expected = PEER_SEES if visibility != "private" else None
    elif viewer == "visitor":
        response = client_a.get(path)
        expected = VISITOR_SEES if visibility == "public" else None
    else:
        response = client_b.get(path, **bearer(world.charlie, world.tenant_b))
    if expected is None:
        body = _is_problem(response, 404)
        assert "Seminar" not in json.dumps(body) and "notes" not in json.dumps(body)
        return
    assert response.status_code == 200
    assert {item["title"] for item in response.json()["results"]} == expected


@pytest.mark.parametrize("visibility", ["public", "loggedin", "private"])
@pytest.mark.parametrize("viewer", ["member", "peer", "visitor", "other institution"])
def test_the_library_page_follows_the_one_rule(
    client_a, client_b, world, library, visibility, viewer
):
    group, dora = library(visibility)
    path = f"/groups/{group.public_id}/library"
    client, expected = client_a, None
    if viewer == "member":
        sign_in(client_a, dora, world.tenant_a)
        expected = MEMBER_SEES
    elif viewer == "peer":
        sign_in(client_a, world.bob, world.tenant_a)
        expected = PEER_SEES if visibility != "private" else None
    elif viewer == "visitor":
        expected = VISITOR_SEES if visibility == "public" else None
    else:
        client = sign_in(client_b, world.charlie, world.tenant_b)
    response = client.get(path)
    if expected is None:
        assert response.status_code == 404
        assert "Private notes" not in response.content.decode()
        return
    html = response.content.decode()
    shown = set(re.findall(r'<a href="/content/c_[a-z2-7]+">([^<]+)</a>', html))
    assert shown == expected
    group_page = client.get(f"/groups/{group.public_id}").content.decode()
    assert set(re.findall(r'<a href="/content/c_[a-z2-7]+">([^<]+)</a>', group_page)) == expected


def test_a_member_who_leaves_no_longer_sees_what_only_the_group_could(
    client_a, world, library, bearer
):
    group, dora = library("loggedin")
    headers = bearer(dora)
    path = f"/api/v1/groups/{group.public_id}/content/"
    assert "Private notes" in {i["title"] for i in client_a.get(path, **headers).json()["results"]}
    with schema_context(world.tenant_a.schema_name):
        group_leave(actor=dora, group=group)
    titles = {i["title"] for i in client_a.get(path, **headers).json()["results"]}
    assert titles == {"Campus news", "Open lecture"}


def test_the_library_pages_by_cursor_with_bounded_queries(
    client_a, world, django_assert_max_num_queries, bearer
):
    with schema_context(world.tenant_a.schema_name):
        group = group_create(actor=world.alice, title="Big", visibility="loggedin")
    ids = [
        _link(world, f"Item {n:02d}", visibility="private", groups=[group]).public_id
        for n in range(30)
    ]
    headers = bearer(world.alice)
    url = f"/api/v1/groups/{group.public_id}/content/?limit=7"
    client_a.get(url, **headers)  # warm the host cache
    seen = []
    while url:
        with django_assert_max_num_queries(4):
            body = client_a.get(url, **headers).json()
        seen += [item["id"] for item in body["results"]]
        url = body["next"]
    assert seen == list(reversed(ids))
    tagged = client_a.get(f"/api/v1/groups/{group.public_id}/content/?tag=none", **headers)
    assert tagged.json()["results"] == []


def test_the_library_page_pages_by_keyset_with_bounded_queries(
    client_a, world, django_assert_max_num_queries
):
    with schema_context(world.tenant_a.schema_name):
        group = group_create(actor=world.alice, title="Big", visibility="loggedin")
    for n in range(55):
        _link(world, f"Item {n:02d}", visibility="private", groups=[group])
    sign_in(client_a, world.alice, world.tenant_a)
    url = f"/groups/{group.public_id}/library"
    client_a.get(url)
    with django_assert_max_num_queries(8):
        first = client_a.get(url).content.decode()
    after = re.search(r"after=(c_[a-z2-7]+)", first).group(1)
    with django_assert_max_num_queries(9):
        second = client_a.get(f"{url}?after={after}").content.decode()
    titles = re.findall(r">(Item \d\d)</a>", first + second)
    assert len(titles) == len(set(titles)) == 55
    assert client_a.get(f"{url}?after=c_nosuch").status_code == 404
    # 12: the group's discussions and its folders are one more query each (the sections of
    # tenant_apps.discussions and tenant_apps.folders).
    with django_assert_max_num_queries(12):
        assert client_a.get(f"/groups/{group.public_id}").status_code == 200


def test_members_share_their_items_with_the_group_from_its_library(client_a, world):
    with schema_context(world.tenant_a.schema_name):
        group = group_create(actor=world.alice, title="Seminar", join_policy="open")
        group_join(actor=world.bob, group=group)
    mine = _link(world, "Bob's reading list", visibility="private", actor=world.bob)
    alices = _link(world, "Alice's notes", visibility="loggedin")
    sign_in(client_a, world.bob, world.tenant_a)
    page = client_a.get(f"/groups/{group.public_id}/library").content.decode()
    assert "Share with this group" in page and f'value="{mine.public_id}"' in page
    assert alices.public_id not in page  # offered only what Bob manages
    act = f"/groups/{group.public_id}/act"
    shared = client_a.post(act, {"action": "share-item", "item": mine.public_id, "role": "viewer"})
    assert shared["Location"] == f"/groups/{group.public_id}/library"
    assert "is shared with the group" in client_a.get(shared["Location"]).content.decode()
    refused = client_a.post(
        act, {"action": "share-item", "item": alices.public_id, "role": "manager"}, follow=True
    )
    assert "You can share only items you manage." in refused.content.decode()
    bad_role = client_a.post(
        act, {"action": "share-item", "item": mine.public_id, "role": "owner"}, follow=True
    )
    assert "Choose viewer or manager." in bad_role.content.decode()
    with schema_context(world.tenant_a.schema_name):
        assert list(Share.objects.filter(group=group).values_list("item_id", "role")) == [
            (mine.pk, "viewer")
        ]
    sign_in(client_a, world.alice, world.tenant_a)
    html = client_a.get(f"/groups/{group.public_id}/library").content.decode()
    assert "Bob&#x27;s reading list" in html


def test_non_members_are_not_offered_sharing(client_a, world):
    with schema_context(world.tenant_a.schema_name):
        group = group_create(actor=world.alice, title="Seminar", visibility="loggedin")
    _link(world, "Bob's reading list", visibility="private", actor=world.bob)
    sign_in(client_a, world.bob, world.tenant_a)
    page = client_a.get(f"/groups/{group.public_id}/library").content.decode()
    assert "Share with this group" not in page


def test_the_content_share_form_accepts_the_groups_id(client_a, world):
    with schema_context(world.tenant_a.schema_name):
        group = group_create(actor=world.alice, title="Seminar", visibility="loggedin")
    item = _link(world, "Handout", visibility="private")
    sign_in(client_a, world.alice, world.tenant_a)
    client_a.post(
        f"/content/{item.public_id}/share", {"principals": group.public_id, "role": "viewer"}
    )
    html = client_a.get(f"/groups/{group.public_id}/library").content.decode()
    assert ">Handout</a>" in html


def test_no_one_shares_into_a_private_group_they_cannot_see(client_a, world, bearer):
    with schema_context(world.tenant_a.schema_name):
        private = group_create(actor=world.alice, title="Staff", visibility="private")
    item = _link(world, "Bob's flyer", visibility="private", actor=world.bob)
    response = client_a.post(
        f"/api/v1/content/{item.public_id}/shares/",
        json.dumps({"principals": [private.public_id], "role": "viewer"}),
        content_type="application/json",
        **bearer(world.bob),
    )
    unknown = "No such person or group: " + private.public_id
    assert _is_problem(response, 400)["errors"]["principals"] == [unknown]
    sign_in(client_a, world.bob, world.tenant_a)
    page = client_a.post(
        f"/content/{item.public_id}/share",
        {"principals": private.public_id, "role": "viewer"},
        follow=True,
    )
    assert unknown in page.content.decode()
    with schema_context(world.tenant_a.schema_name):
        assert not Share.objects.filter(group=private).exists()
