"""Activities: each domain action records one in its own transaction; feeds and notifications
follow the permission rule as it is when they are read."""

from __future__ import annotations

import io

import pytest
from django_tenants.utils import schema_context

from tenant_apps.activity.fanout import activity_fan_out
from tenant_apps.activity.models import Activity, FeedEntry, Notification
from tenant_apps.activity.selectors import (
    entry_data,
    feed_of,
    feed_of_group,
    feed_of_item,
    notifications_of,
    unread_count,
)
from tenant_apps.activity.services import activity_record, notifications_mark_read
from tenant_apps.connections.services import connection_accept, connection_invite
from tenant_apps.content.services import (
    comment_create,
    content_create_document,
    content_delete,
    content_share,
    content_unshare,
    content_update,
    content_upload_file,
    content_version_add,
)
from tenant_apps.groups.services import (
    group_create,
    group_invite,
    group_join,
    group_member_set_role,
    group_request_decide,
)
from tenant_apps.messaging.models import ThreadState
from tenant_apps.messaging.services import message_reply, message_send
from tests.tenant_apps.activity.conftest import fan_out, person

pytestmark = pytest.mark.django_db


def _verbs(schema: str) -> list[str]:
    with schema_context(schema):
        return list(Activity.objects.order_by("id").values_list("verb", flat=True))


def test_each_domain_action_records_its_activity(world):
    schema = world.tenant_a.schema_name
    with schema_context(schema):
        alice, bob = world.alice, world.bob
        doc = content_create_document(actor=alice, title="Week 1 notes", body="<p>Hi</p>")
        content_update(actor=alice, item=doc, description="Read before Monday")
        content_share(actor=alice, item=doc, principals=[bob], role="viewer")
        comment = comment_create(actor=bob, item=doc, body="Thanks")
        comment_create(actor=alice, item=doc, body="Welcome", parent=comment)
        upload = content_upload_file(actor=alice, source=io.BytesIO(b"v1 bytes"), filename="a.txt")
        content_version_add(actor=alice, item=upload, source=io.BytesIO(b"v2 bytes"), filename="a")
        group = group_create(actor=alice, title="Latin", join_policy="request")
        group_join(actor=bob, group=group)
        group_request_decide(actor=alice, group=group, person=bob, accept=True)
        group_member_set_role(actor=alice, group=group, person=bob, role="manager")
        carol = person(world, "carol")
        group_invite(actor=alice, group=group, person=carol)
        open_group = group_create(actor=bob, title="Greek", join_policy="open")
        group_join(actor=carol, group=open_group)
        link = connection_invite(actor=alice, person=carol)
        connection_accept(actor=carol, connection=link)
        message_send(actor=alice, to=[bob.public_id], subject="Hello", body="Hi Bob")
    assert _verbs(schema) == [
        "content.created",
        "content.updated",
        "content.shared",
        "content.commented",
        "content.commented",
        "content.created",
        "content.version",
        "group.created",
        "group.join_requested",
        "group.member_added",
        "group.role_changed",
        "group.invited",
        "group.created",
        "group.joined",
        "connection.requested",
        "connection.accepted",
        "message.sent",
    ]
    with schema_context(schema):
        assert all(a.public_id.startswith("a_") for a in Activity.objects.all())


def test_an_activity_rolls_back_with_its_change(world):
    with schema_context(world.tenant_a.schema_name):
        doc = content_create_document(actor=world.alice, title="Alone")
        before = Activity.objects.count()
        with pytest.raises(Exception):  # noqa: B017 - the last manager cannot be removed
            content_unshare(actor=world.alice, item=doc, principal=world.alice)
        assert Activity.objects.count() == before


def test_sharing_notifies_the_person_and_puts_it_in_their_feed(world):
    with schema_context(world.tenant_a.schema_name):
        doc = content_create_document(actor=world.alice, title="Week 1 notes")
        content_share(actor=world.alice, item=doc, principals=[world.bob], role="viewer")
    fan_out(world)
    with schema_context(world.tenant_a.schema_name):
        entries, _ = feed_of(viewer=world.bob)
        assert [entry_data(world.bob, e)["summary"] for e in entries] == [
            "Alice Archer shared Week 1 notes with you",
            "Alice Archer added Week 1 notes",  # fanned out after the share: Bob may see it
        ]
        notes = list(notifications_of(viewer=world.bob))
        assert [(n.category, n.is_read) for n in notes] == [("shares", False)]
        assert notes[0].public_id.startswith("n_")
        assert unread_count(world.bob) == 1
        assert list(notifications_of(viewer=world.alice)) == []  # never for one's own act


def test_the_fan_out_runs_once_however_often_it_is_asked(world):
    with schema_context(world.tenant_a.schema_name):
        doc = content_create_document(actor=world.alice, title="Once")
        (shared,) = activity_record(actor=world.alice, verb="content.shared", item=doc)
        assert activity_fan_out(shared.pk) is not None
        assert activity_fan_out(shared.pk) is None
        assert FeedEntry.objects.filter(activity=shared).count() == 1


@pytest.mark.parametrize("how", ["private", "unshare", "delete"])
def test_an_item_bob_may_no_longer_see_leaves_his_feed_and_notifications(world, how):
    with schema_context(world.tenant_a.schema_name):
        doc = content_create_document(actor=world.alice, title="Draft", visibility="loggedin")
        content_share(actor=world.alice, item=doc, principals=[world.bob], role="viewer")
        comment_create(actor=world.alice, item=doc, body="First!")
    fan_out(world)
    with schema_context(world.tenant_a.schema_name):
        assert len(feed_of(viewer=world.bob)[0]) == 3  # added, shared, commented
        assert unread_count(world.bob) == 1
        if how == "private":
            content_update(actor=world.alice, item=doc, visibility="private")
            content_unshare(actor=world.alice, item=doc, principal=world.bob)
        elif how == "unshare":
            content_update(actor=world.alice, item=doc, visibility="private")
            content_unshare(actor=world.bob, item=doc, principal=world.bob)
        else:
            content_delete(actor=world.alice, item=doc)
    fan_out(world)
    with schema_context(world.tenant_a.schema_name):
        assert feed_of(viewer=world.bob)[0] == []
        assert list(notifications_of(viewer=world.bob)) == []
        assert unread_count(world.bob) == 0
        # Alice still sees her own item's history (unless it is gone).
        assert bool(feed_of(viewer=world.alice)[0]) is (how != "delete")


def test_a_loggedin_item_stays_visible_when_unshared(world):
    with schema_context(world.tenant_a.schema_name):
        doc = content_create_document(actor=world.alice, title="Open", visibility="loggedin")
        content_share(actor=world.alice, item=doc, principals=[world.bob], role="viewer")
    fan_out(world)
    with schema_context(world.tenant_a.schema_name):
        content_unshare(actor=world.alice, item=doc, principal=world.bob)
        # Still visible to members: its creation and the share.
        assert len(feed_of(viewer=world.bob)[0]) == 2


def test_comments_are_aggregated_as_people_read_them(world):
    others = [person(world, f"student{i}", f"Student {i}") for i in range(3)]
    with schema_context(world.tenant_a.schema_name):
        doc = content_create_document(actor=world.alice, title="Week 1 notes", visibility="public")
        for who in [world.bob, *others]:
            comment_create(actor=who, item=doc, body="Good")
    fan_out(world)
    with schema_context(world.tenant_a.schema_name):
        entries, after = feed_of(viewer=world.alice)
        summaries = [entry_data(world.alice, e)["summary"] for e in entries]
        assert summaries == [
            "Student 2 and 3 others commented on Week 1 notes",
            "You added Week 1 notes",
        ]
        assert entries[0].count == 4
        assert after is None
        item_entries, _ = feed_of_item(viewer=world.bob, item=doc)
        assert [e.verb for e in item_entries] == ["content.commented", "content.created"]
        notes = list(notifications_of(viewer=world.alice))
        assert len(notes) == 4 and {n.category for n in notes} == {"comments"}


def test_a_reply_notifies_the_author_of_the_comment(world):
    carol = person(world, "carol")
    with schema_context(world.tenant_a.schema_name):
        doc = content_create_document(actor=world.alice, title="Q&A", visibility="loggedin")
        question = comment_create(actor=carol, item=doc, body="Why?")
        comment_create(actor=world.bob, item=doc, body="Because", parent=question)
    fan_out(world)
    with schema_context(world.tenant_a.schema_name):
        assert [n.category for n in notifications_of(viewer=carol)] == ["comments"]
        assert len(list(notifications_of(viewer=world.alice))) == 2


def test_the_feed_is_keyset_paged_without_gaps_or_repeats(world):
    with schema_context(world.tenant_a.schema_name):
        docs = [
            content_create_document(actor=world.alice, title=f"Doc {i}", visibility="loggedin")
            for i in range(7)
        ]
    fan_out(world)
    with schema_context(world.tenant_a.schema_name):
        seen = []
        after = None
        while True:
            entries, after = feed_of(viewer=world.alice, after=after, size=3)
            seen += [e.item.title for e in entries]
            if after is None:
                break
        assert seen == [d.title for d in reversed(docs)]


def test_groups_feed_and_join_request_notifications(world):
    with schema_context(world.tenant_a.schema_name):
        group = group_create(actor=world.alice, title="Choir", visibility="private")
        group_join(actor=world.bob, group=group)  # by request
    fan_out(world)
    with schema_context(world.tenant_a.schema_name):
        notes = list(notifications_of(viewer=world.alice))
        assert [entry_data(world.alice, _e(n))["summary"] for n in notes] == [
            "Bob Baker asked to join Choir"
        ]
        # A private group's activity is not Bob's to see until he is a member.
        assert feed_of_group(viewer=world.bob, group=group)[0] == []
        group_request_decide(actor=world.alice, group=group, person=world.bob, accept=True)
    fan_out(world)
    with schema_context(world.tenant_a.schema_name):
        assert [n.category for n in notifications_of(viewer=world.bob)] == ["groups"]
        assert len(feed_of_group(viewer=world.bob, group=group)[0]) == 3


def _e(notification):
    from tenant_apps.activity.selectors import notification_entry

    return notification_entry(notification)


def test_invitations_connections_and_messages_notify_the_person_addressed(world):
    carol = person(world, "carol", "Carol Cole")
    with schema_context(world.tenant_a.schema_name):
        group = group_create(actor=world.alice, title="Chess", join_policy="invitation")
        group_invite(actor=world.alice, group=group, person=carol)
        link = connection_invite(actor=world.bob, person=carol)
        thread = message_send(actor=world.alice, to=[carol.public_id], subject="Hi", body="Hey")
    fan_out(world)
    with schema_context(world.tenant_a.schema_name):
        summaries = [entry_data(carol, _e(n))["summary"] for n in notifications_of(viewer=carol)]
        assert summaries == [
            "Alice Archer sent a message: Hi",
            "Bob Baker asked to connect with you",
            "Alice Archer invited you to Chess",
        ]
        connection_accept(actor=carol, connection=link)
        message_reply(
            actor=carol, state=ThreadState.objects.get(thread=thread, user=carol), body="Hi!"
        )
    fan_out(world)
    with schema_context(world.tenant_a.schema_name):
        assert [n.category for n in notifications_of(viewer=world.bob)] == ["connections"]
        assert [n.category for n in notifications_of(viewer=world.alice)] == ["messages"]
        # A message is never anyone's feed.
        assert all(e.verb != "message.sent" for e in feed_of(viewer=world.alice)[0])


def test_marking_read_one_or_all_and_never_another_persons(world):
    with schema_context(world.tenant_a.schema_name):
        for title in ("A", "B", "C"):
            doc = content_create_document(actor=world.alice, title=title)
            content_share(actor=world.alice, item=doc, principals=[world.bob], role="viewer")
        doc = content_create_document(actor=world.bob, title="Mine")
        content_share(actor=world.bob, item=doc, principals=[world.alice], role="viewer")
    fan_out(world)
    with schema_context(world.tenant_a.schema_name):
        bobs = list(notifications_of(viewer=world.bob))
        alices = list(notifications_of(viewer=world.alice))
        assert notifications_mark_read(actor=world.bob, public_ids=[bobs[0].public_id]) == 1
        assert notifications_mark_read(actor=world.bob, public_ids=[alices[0].public_id]) == 0
        assert unread_count(world.bob) == 2
        assert notifications_mark_read(actor=world.bob) == 2
        assert Notification.objects.filter(recipient=world.alice, is_read=False).count() == 1


def test_deactivated_people_get_no_feed_and_no_notifications(world):
    carol = person(world, "carol")
    with schema_context(world.tenant_a.schema_name):
        carol.is_active = False
        carol.save(update_fields=["is_active"])
        doc = content_create_document(actor=world.alice, title="For Carol")
        from tenant_apps.content.models import Share

        Share.objects.create(item=doc, user=carol)
        activity_record(actor=world.alice, verb="content.shared", item=doc, targets=[carol])
    fan_out(world)
    with schema_context(world.tenant_a.schema_name):
        assert not Notification.objects.filter(recipient=carol).exists()
        assert not FeedEntry.objects.filter(user=carol).exists()


def test_the_unread_count_is_one_round_trip_warm_and_kept_per_institution(world):
    from django_redis import get_redis_connection

    from tenant_apps.activity.counts import (
        unread_cache_forget_all,
        unread_cache_store,
        unread_cached,
    )

    redis = get_redis_connection("default")

    def calls() -> dict:
        stats = redis.info("commandstats")
        return {name: stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("get", "mget")}

    with schema_context(world.tenant_a.schema_name):
        doc = content_create_document(actor=world.alice, title="Counted")
        content_share(actor=world.alice, item=doc, principals=[world.bob], role="viewer")
    fan_out(world)
    with schema_context(world.tenant_a.schema_name):
        assert unread_count(world.bob) == 1  # counted, kept
        before = calls()
        assert unread_count(world.bob) == 1
        after = calls()
        assert (after["get"] - before["get"], after["mget"] - before["mget"]) == (0, 1)
        epoch, _count = unread_cached(world.bob.pk)
        unread_cache_store(world.bob.pk, epoch, 7)
        assert unread_count(world.bob) == 7  # read from the cache
    with schema_context(world.tenant_b.schema_name):  # the same id in another institution
        assert unread_cached(world.bob.pk)[1] is None
    with schema_context(world.tenant_a.schema_name):
        unread_cache_forget_all()  # the epoch moves: every kept count is stale
        assert unread_cached(world.bob.pk)[1] is None
        assert unread_count(world.bob) == 1
