"""Discussion pages: the list, starting a topic in a group (with a mention by the picker),
a topic with threaded replies, following, managing; 404 across institutions and for peers
without access; without JavaScript."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from tenant_apps.discussions.models import Discussion, Reply
from tenant_apps.discussions.services import discussion_create, reply_create
from tenant_apps.groups.services import group_create
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def test_starting_a_topic_in_a_group_and_replying(client_a, world):
    with tenant_context(world.tenant_a):
        group = group_create(actor=world.alice, title="Seminar", visibility="loggedin")
    sign_in(client_a, world.alice, world.tenant_a)
    form = client_a.get(f"/discussions/new?group={group.public_id}")
    assert form.status_code == 200 and b"Start a discussion in Seminar" in form.content
    made = client_a.post(
        "/discussions/new",
        {
            "group": group.public_id,
            "title": "First meeting",
            "body": "When shall we meet?",
            "visibility": "loggedin",
            "mentions": "Bob Baker",
        },
    )
    assert made.status_code == 302, made.content
    with tenant_context(world.tenant_a):
        topic = Discussion.objects.get(title="First meeting")
    assert made["Location"] == f"/discussions/{topic.public_id}"
    page = client_a.get(made["Location"])
    assert b"When shall we meet?" in page.content and b"Bob Baker" in page.content
    group_page = client_a.get(f"/groups/{group.public_id}")
    assert b"First meeting" in group_page.content
    sign_in(client_a, world.bob, world.tenant_a)
    replied = client_a.post(
        f"/discussions/{topic.public_id}/act", {"action": "reply", "body": "Monday"}
    )
    assert replied.status_code == 302
    with tenant_context(world.tenant_a):
        first = Reply.objects.get(discussion=topic)
    answer_form = client_a.get(f"/discussions/{topic.public_id}?reply_to={first.public_id}")
    assert f'value="{first.public_id}"'.encode() in answer_form.content
    client_a.post(
        f"/discussions/{topic.public_id}/act",
        {"action": "reply", "body": "Or Tuesday", "parent": first.public_id},
    )
    page = client_a.get(f"/discussions/{topic.public_id}")
    assert page.content.index(b"Monday") < page.content.index(b"Or Tuesday")
    assert b"depth-1" in page.content and b"in reply to" in page.content
    assert b"Stop following" in page.content  # replying follows


def test_bad_input_shows_the_form_again(client_a, world):
    sign_in(client_a, world.alice, world.tenant_a)
    bad = client_a.post(
        "/discussions/new",
        {"title": "", "body": "", "visibility": "loggedin", "mentions": "Nobody At All"},
    )
    assert bad.status_code == 400 and b"No person called" in bad.content
    with tenant_context(world.tenant_a):
        assert not Discussion.objects.exists()
        topic = discussion_create(actor=world.alice, title="T", body="B")
    empty = client_a.post(f"/discussions/{topic.public_id}/act", {"action": "reply", "body": ""})
    assert empty.status_code == 400


def test_private_topics_and_other_institutions_answer_404(client_a, client_b, world):
    with tenant_context(world.tenant_a):
        topic = discussion_create(actor=world.alice, title="Secret", body="B", visibility="private")
        reply_create(actor=world.alice, discussion=topic, body="R")
    sign_in(client_a, world.bob, world.tenant_a)
    sign_in(client_b, world.charlie, world.tenant_b)
    for client in (client_a, client_b):
        for path in ("", "/edit"):
            response = client.get(f"/discussions/{topic.public_id}{path}")
            assert response.status_code == 404 and b"Secret" not in response.content
        act = client.post(f"/discussions/{topic.public_id}/act", {"action": "follow"})
        assert act.status_code == 404
        assert b"Secret" not in client.get("/discussions/").content


def test_visitors_read_public_topics_without_a_reply_form(client_a, world):
    with tenant_context(world.tenant_a):
        topic = discussion_create(
            actor=world.alice, title="Open day", body="Welcome", visibility="public"
        )
    page = client_a.get(f"/discussions/{topic.public_id}")
    assert page.status_code == 200 and b"Welcome" in page.content
    assert b"Sign in to reply" in page.content
    assert client_a.get("/discussions/new").status_code == 302


def test_the_topic_page_costs_a_bounded_number_of_queries(
    client_a, world, django_assert_max_num_queries
):
    with tenant_context(world.tenant_a):
        topic = discussion_create(actor=world.alice, title="Busy", body="B")
        for n in range(60):
            reply_create(
                actor=world.bob if n % 2 else world.alice,
                discussion=topic,
                body=f"R{n}",
                mentions=[world.alice.public_id] if n % 2 else [],
            )
    sign_in(client_a, world.alice, world.tenant_a)
    with django_assert_max_num_queries(25):
        page = client_a.get(f"/discussions/{topic.public_id}")
    assert page.status_code == 200 and b"More replies" in page.content
