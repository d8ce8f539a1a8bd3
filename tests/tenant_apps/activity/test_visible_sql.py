"""The activity visibility rule compiled once (``ActivityVisible``) selects exactly the rows the
ORM's own rule (``_visible_q_orm``, built from each app's permission rule) selects, for every
kind of object an activity points at and every kind of viewer, directly and through a feed."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from tenant_apps.activity.models import Activity, FeedEntry, Notification, Verb
from tenant_apps.activity.selectors import ActivityVisible, _visible_q_orm, visible_q
from tenant_apps.content.services import content_create_document, content_delete, content_share
from tenant_apps.discussions.services import discussion_create
from tenant_apps.folders.services import folder_create, folder_share
from tenant_apps.groups.services import group_create, group_join
from tests.tenant_apps.activity.conftest import person

pytestmark = pytest.mark.django_db


def _everything(world) -> list[Activity]:
    """One activity per object of each kind, visible to some viewers and not to others."""
    alice, bob = world.alice, world.bob
    private = content_create_document(actor=alice, title="Private", visibility="private")
    shared = content_create_document(actor=alice, title="Shared", visibility="private")
    content_share(actor=alice, item=shared, principals=[bob], role="viewer")
    signed_in = content_create_document(actor=alice, title="Signed in", visibility="loggedin")
    trashed = content_create_document(actor=alice, title="Trashed", visibility="loggedin")
    content_delete(actor=alice, item=trashed)
    secret = group_create(actor=alice, title="Secret", visibility="private", join_policy="request")
    open_group = group_create(actor=alice, title="Open", visibility="public", join_policy="open")
    group_join(actor=bob, group=open_group)
    by_group = content_create_document(actor=alice, title="Via group", visibility="private")
    content_share(actor=alice, item=by_group, principals=[open_group], role="viewer")
    folder = folder_create(actor=alice, title="Folder", visibility="private")
    folder_share(actor=alice, folder=folder, principals=[open_group], role="viewer")
    lonely_folder = folder_create(actor=alice, title="Lonely", visibility="private")
    topic = discussion_create(actor=alice, title="Topic", body="<p>Hi</p>", group=secret)
    open_topic = discussion_create(actor=alice, title="Open", body="<p>Hi</p>")
    made = [
        Activity(actor=alice, verb=Verb.CONTENT_CREATED, item=item)
        for item in (private, shared, signed_in, trashed, by_group)
    ]
    made += [Activity(actor=alice, verb=Verb.GROUP_CREATED, group=g) for g in (secret, open_group)]
    made += [
        Activity(actor=alice, verb=Verb.CONTENT_SHARED, item=by_group, group=open_group),
        Activity(actor=alice, verb=Verb.CONTENT_SHARED, item=private, group=open_group),
        Activity(actor=alice, verb=Verb.FOLDER_SHARED, folder=folder, group=open_group),
        Activity(actor=alice, verb=Verb.FOLDER_SHARED, folder=lonely_folder),
        Activity(actor=alice, verb=Verb.DISCUSSION_CREATED, discussion=topic, group=secret),
        Activity(actor=alice, verb=Verb.DISCUSSION_CREATED, discussion=open_topic),
        Activity(actor=alice, verb=Verb.CONNECTION_ACCEPTED, person=bob),
    ]
    return Activity.objects.bulk_create(made)


def test_the_compiled_rule_selects_what_the_orm_rule_selects(world):
    with schema_context(world.tenant_a.schema_name):
        activities = _everything(world)
        carol = person(world, "carol")
        gone = person(world, "gone")
        gone.is_active = False
        gone.save(update_fields=["is_active"])
        viewers = [world.alice, world.bob, carol, gone, AnonymousUser()]
        seen_by = {}
        for viewer in viewers:
            orm = set(Activity.objects.filter(_visible_q_orm(viewer)).values_list("id", flat=True))
            fast = set(Activity.objects.filter(visible_q(viewer)).values_list("id", flat=True))
            assert fast == orm, viewer
            seen_by[getattr(viewer, "username", "anonymous")] = len(fast)
            if getattr(viewer, "pk", None):
                FeedEntry.objects.bulk_create(
                    FeedEntry(user=viewer, activity=a) for a in activities
                )
                entries = FeedEntry.objects.filter(user=viewer)
                orm = set(entries.filter(_visible_q_orm(viewer, "activity__")).values_list("id"))
                fast = set(entries.filter(visible_q(viewer, "activity__")).values_list("id"))
                assert fast == orm, viewer
        # The set is not trivial: each viewer sees a different part of it.
        assert len(set(seen_by.values())) >= 3, seen_by
        assert seen_by["alice"] < Activity.objects.count()  # the trashed item is hidden


def test_the_compiled_rule_is_one_sql_text_with_the_viewer_as_a_parameter(world):
    with schema_context(world.tenant_a.schema_name):
        rows = Notification.objects.filter(visible_q(world.bob, "activity__"))
        with CaptureQueriesContext(connection) as bobs:
            list(rows)
        with CaptureQueriesContext(connection) as alices:
            list(Notification.objects.filter(visible_q(world.alice, "activity__")))
        (bob_sql,) = [q["sql"] for q in bobs.captured_queries if "notification" in q["sql"]]
        (alice_sql,) = [q["sql"] for q in alices.captured_queries if "notification" in q["sql"]]
        assert f"= {world.bob.pk}" in bob_sql and "-46116" not in bob_sql
        # Same text for both viewers, their ids in the same places.
        assert bob_sql.replace(f"= {world.bob.pk}", "= ?") == alice_sql.replace(
            f"= {world.alice.pk}", "= ?"
        )
        assert isinstance(visible_q(world.bob).children[0], ActivityVisible)
