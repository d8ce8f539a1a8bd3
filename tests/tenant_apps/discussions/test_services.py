"""Discussion rules: who sees a topic (visibility, members, a group's members, the group's own
visibility), who manages it, threaded replies in order, sanitised bodies, mentions by id,
following, and what the activity app tells whom."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django_tenants.utils import tenant_context

from tenant_apps.activity.models import Notification
from tenant_apps.activity.selectors import feed_of, notifications_of
from tenant_apps.discussions.access import access_discussion
from tenant_apps.discussions.models import Follower
from tenant_apps.discussions.selectors import discussion_list, discussion_replies
from tenant_apps.discussions.services import (
    MAX_DEPTH,
    discussion_create,
    discussion_delete,
    discussion_follow,
    discussion_member_add,
    discussion_member_remove,
    discussion_unfollow,
    discussion_update,
    reply_create,
)
from tenant_apps.groups.services import group_create, group_join
from tests.tenant_apps.activity.conftest import fan_out, person

pytestmark = pytest.mark.django_db


def _topic(world, **kwargs):
    kwargs.setdefault("title", "Week 1 reading")
    kwargs.setdefault("body", "<p>What did you think?</p>")
    return discussion_create(actor=kwargs.pop("actor", world.alice), **kwargs)


def test_it_hides_private_topics_from_everyone_but_members(world):
    with tenant_context(world.tenant_a):
        topic = _topic(world, visibility="private")
        with pytest.raises(Http404):
            access_discussion(world.bob, topic.public_id)
        assert not discussion_list(viewer=world.bob).filter(pk=topic.pk).exists()
        discussion_member_add(actor=world.alice, discussion=topic, person=world.bob)
        assert access_discussion(world.bob, topic.public_id).pk == topic.pk
        assert not access_discussion(world.bob, topic.public_id).viewer_can_manage
        with pytest.raises(Http404):
            access_discussion(world.bob, topic.public_id, for_write=True)


def test_visitors_see_public_topics_only(world):
    with tenant_context(world.tenant_a):
        public = _topic(world, visibility="public")
        signed_in = _topic(world, visibility="loggedin")
        visible = set(discussion_list(viewer=AnonymousUser()).values_list("pk", flat=True))
        assert public.pk in visible and signed_in.pk not in visible
        assert access_discussion(world.bob, signed_in.public_id)


def test_a_groups_topic_follows_the_group(world):
    with tenant_context(world.tenant_a):
        group = group_create(actor=world.alice, title="Seminar", visibility="private")
        topic = _topic(world, group=group, visibility="private")
        # Not a member of the private group: as if it did not exist, even when made public.
        with pytest.raises(Http404):
            access_discussion(world.bob, topic.public_id)
        discussion_update(actor=world.alice, discussion=topic, visibility="public")
        with pytest.raises(Http404):
            access_discussion(world.bob, topic.public_id)
        with pytest.raises(Http404):
            access_discussion(AnonymousUser(), topic.public_id)


def test_group_members_see_a_groups_private_topics_and_managers_manage_them(world):
    with tenant_context(world.tenant_a):
        group = group_create(
            actor=world.alice, title="Open seminar", visibility="loggedin", join_policy="open"
        )
        group_join(actor=world.bob, group=group)
        topic = _topic(world, actor=world.bob, group=group, visibility="private")
        carol = person(world, "carol")
        with pytest.raises(Http404):
            access_discussion(carol, topic.public_id)
        seen = access_discussion(world.alice, topic.public_id, for_write=True)  # group manager
        discussion_update(actor=world.alice, discussion=seen, title="Renamed")
        assert access_discussion(world.bob, topic.public_id).title == "Renamed"


def test_only_members_start_topics_in_a_group(world):
    with tenant_context(world.tenant_a):
        group = group_create(actor=world.alice, title="Lab", visibility="loggedin")
        with pytest.raises(PermissionDenied):
            _topic(world, actor=world.bob, group=group)


def test_bad_input_is_refused_by_field_and_nothing_is_written(world):
    with tenant_context(world.tenant_a):
        with pytest.raises(ValidationError) as error:
            discussion_create(
                actor=world.alice,
                title="  ",
                body="<script>alert(1)</script>",
                visibility="everyone",
                mentions=["u_nobody", world.charlie.public_id],
            )
        assert set(error.value.message_dict) == {"title", "body", "visibility", "mentions"}
        assert len(error.value.message_dict["mentions"]) == 2
        assert not discussion_list(viewer=world.alice).exists()


def test_bodies_are_sanitised(world):
    with tenant_context(world.tenant_a):
        topic = _topic(world, body='<p onclick="x()">Hi <a href="javascript:x()">me</a></p><img>')
        assert topic.body == '<p>Hi <a rel="noopener noreferrer nofollow">me</a></p>'


def test_replies_read_in_thread_order_and_deep_answers_stay_at_the_deepest_level(world):
    with tenant_context(world.tenant_a):
        topic = _topic(world)
        first = reply_create(actor=world.bob, discussion=topic, body="first")
        second = reply_create(actor=world.alice, discussion=topic, body="second")
        answer = reply_create(actor=world.alice, discussion=topic, body="answer", parent=first)
        deeper = answer
        for n in range(MAX_DEPTH + 1):
            deeper = reply_create(actor=world.bob, discussion=topic, body=f"d{n}", parent=deeper)
        bodies = [r.body for r in discussion_replies(topic)]
        assert bodies[:3] == ["first", "answer", "d0"]
        assert bodies[-1] == "second"
        assert max(r.depth for r in discussion_replies(topic)) == MAX_DEPTH
        topic.refresh_from_db()
        assert topic.reply_count == 3 + MAX_DEPTH + 1
        assert second.depth == 0


def test_a_parent_from_another_topic_is_refused(world):
    with tenant_context(world.tenant_a):
        one, other = _topic(world), _topic(world, title="Other")
        stray = reply_create(actor=world.alice, discussion=other, body="x")
        with pytest.raises(ValidationError):
            reply_create(actor=world.bob, discussion=one, body="y", parent=stray)


def test_followers_are_told_of_replies_and_mentioned_people_of_mentions(world):
    with tenant_context(world.tenant_a):
        carol = person(world, "carol", "Carol Cole")
        topic = _topic(world, visibility="loggedin")
        reply_create(actor=world.bob, discussion=topic, body="Me too", mentions=[carol.public_id])
    fan_out(world)
    with tenant_context(world.tenant_a):
        told = {n.recipient_id: n.activity.verb for n in Notification.objects.all()}
        assert told == {world.alice.pk: "discussion.replied", carol.pk: "discussion.mentioned"}
        assert Follower.objects.filter(discussion=topic, user=world.bob).exists()
        # Bob now follows: Alice's answer tells him.
        reply_create(actor=world.alice, discussion=topic, body="Good")
    fan_out(world)
    with tenant_context(world.tenant_a):
        assert notifications_of(viewer=world.bob).filter(activity__verb="discussion.replied")
        discussion_unfollow(actor=world.bob, discussion=topic)
        reply_create(actor=world.alice, discussion=topic, body="Again")
    fan_out(world)
    with tenant_context(world.tenant_a):
        assert Notification.objects.filter(recipient=world.bob).count() == 1
        discussion_follow(actor=world.bob, discussion=topic)
        discussion_follow(actor=world.bob, discussion=topic)  # harmless twice


def test_mentions_and_feeds_never_show_a_topic_one_may_not_see(world):
    with tenant_context(world.tenant_a):
        topic = _topic(world, visibility="private", mentions=[world.bob.public_id])
    fan_out(world)
    with tenant_context(world.tenant_a):
        # Bob was mentioned, but the topic is private: no notification he can read.
        assert not notifications_of(viewer=world.bob).exists()
        discussion_member_add(actor=world.alice, discussion=topic, person=world.bob)
        assert notifications_of(viewer=world.bob).count() == 1
        entries, _ = feed_of(viewer=world.alice)
        assert entries[0].discussion.pk == topic.pk


def test_the_last_manager_stays_and_deleting_is_for_managers(world):
    with tenant_context(world.tenant_a):
        topic = _topic(world, visibility="loggedin")
        with pytest.raises(ValidationError):
            discussion_member_remove(actor=world.alice, discussion=topic, person=world.alice)
        bob_view = access_discussion(world.bob, topic.public_id)
        with pytest.raises(PermissionDenied):
            discussion_delete(actor=world.bob, discussion=bob_view)
        with pytest.raises(PermissionDenied):
            discussion_update(actor=world.bob, discussion=bob_view, title="Mine")
        discussion_delete(
            actor=world.alice, discussion=access_discussion(world.alice, topic.public_id)
        )
        assert not discussion_list(viewer=world.alice).exists()
