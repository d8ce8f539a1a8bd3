"""Discussions in search: found by their title and opening text, only by people who may see
them (the discussions' own rule, in SQL), never in another institution."""

from __future__ import annotations

import pytest

from tenant_apps.discussions.services import discussion_create, discussion_member_add
from tests.tenant_apps.search.conftest import ids

pytestmark = pytest.mark.django_db


def test_topics_are_found_by_those_who_may_see_them(world, in_a, search_api, client_b, bearer):
    open_topic = in_a(
        discussion_create,
        actor=world.alice,
        title="Volcano excursion",
        body="<p>Bring &amp; share boots</p>",
        visibility="loggedin",
    )
    secret = in_a(
        discussion_create,
        actor=world.alice,
        title="Volcano budget",
        body="<p>Numbers</p>",
        visibility="private",
    )
    assert set(ids(search_api({"q": "volcano"}, user=world.alice))) >= {
        open_topic.public_id,
        secret.public_id,
    }
    found = search_api({"q": "volcano", "type": "discussions"}, user=world.bob)
    assert ids(found) == [open_topic.public_id]
    row = found.json()["results"][0]
    assert row["type"] == "discussion" and row["url"] == f"/discussions/{open_topic.public_id}"
    by_text = search_api({"q": "boots", "type": "discussions"}, user=world.bob)
    assert ids(by_text) == [open_topic.public_id]
    assert "&amp;amp;" not in by_text.content.decode()
    assert ids(search_api({"q": "volcano"})) == []  # visitors: neither is public
    in_a(discussion_member_add, actor=world.alice, discussion=secret, person=world.bob)
    assert set(ids(search_api({"q": "volcano", "type": "discussions"}, user=world.bob))) == {
        open_topic.public_id,
        secret.public_id,
    }
    charlie = bearer(world.charlie, world.tenant_b)
    elsewhere = client_b.get("/api/v1/search/", {"q": "volcano"}, **charlie)
    assert elsewhere.status_code == 200 and elsewhere.json()["results"] == []
