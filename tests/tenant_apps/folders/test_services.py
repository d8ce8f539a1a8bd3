"""Folder rules: members and visibility, items through the content rule, bulk add and remove
(all or nothing), group libraries, the folder's feed, and never losing the last manager."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django_tenants.utils import schema_context

from tenant_apps.activity.fanout import activity_fan_out
from tenant_apps.activity.models import Activity, FeedEntry
from tenant_apps.activity.selectors import feed_of, feed_of_folder, summary
from tenant_apps.content.services import content_add_link, content_delete, content_share
from tenant_apps.folders.access import access_folder
from tenant_apps.folders.models import FolderItem
from tenant_apps.folders.selectors import folder_items, folder_items_page, folders_of_group
from tenant_apps.folders.services import (
    folder_create,
    folder_items_add,
    folder_items_remove,
    folder_share,
    folder_unshare,
    folder_update,
)
from tenant_apps.groups.services import group_create, group_join

pytestmark = pytest.mark.django_db


@pytest.fixture
def alpha(world):
    with schema_context(world.tenant_a.schema_name):
        yield world


def _link(actor, title, visibility="private"):
    return content_add_link(
        actor=actor, url="https://example.org/" + title, title=title, visibility=visibility
    )


def test_a_new_folder_is_private_to_its_creator(alpha):
    folder = folder_create(actor=alpha.alice, title="  Week 1 ", description="Readings")
    assert folder.title == "Week 1" and folder.public_id.startswith("f_")
    assert access_folder(alpha.alice, folder.public_id).viewer_can_manage
    with pytest.raises(Http404):
        access_folder(alpha.bob, folder.public_id)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"visibility": "all"}, "visibility"),
    ],
)
def test_bad_values_are_refused(alpha, values, field):
    with pytest.raises(ValidationError) as error:
        folder_create(actor=alpha.alice, **{"title": "A folder", **values})
    assert field in error.value.message_dict


def test_visibility_follows_the_same_levels_as_content(alpha):
    folder = folder_create(actor=alpha.alice, title="Open", visibility="loggedin")
    assert access_folder(alpha.bob, folder.public_id)
    folder_update(actor=alpha.alice, folder=folder, visibility="private")
    with pytest.raises(Http404):
        access_folder(alpha.bob, folder.public_id)


def test_only_managers_change_a_folder(alpha):
    folder = folder_create(actor=alpha.alice, title="Mine", visibility="loggedin")
    with pytest.raises(Http404):
        folder_update(actor=alpha.bob, folder=folder, title="Taken")
    with pytest.raises(Http404):
        access_folder(alpha.bob, folder.public_id, for_write=True)
    folder_share(actor=alpha.alice, folder=folder, principals=[alpha.bob], role="manager")
    assert folder_update(actor=alpha.bob, folder=folder, title="Ours").title == "Ours"


def test_a_folder_lists_only_the_items_the_viewer_may_see(alpha):
    folder = folder_create(actor=alpha.alice, title="Mixed")
    folder_share(actor=alpha.alice, folder=folder, principals=[alpha.bob], role="viewer")
    secret = _link(alpha.alice, "secret")
    open_item = _link(alpha.alice, "open", visibility="loggedin")
    assert (
        folder_items_add(
            actor=alpha.alice, folder=folder, item_ids=[secret.public_id, open_item.public_id]
        )
        == 2
    )
    assert {i.public_id for i in folder_items(viewer=alpha.alice, folder=folder)} == {
        secret.public_id,
        open_item.public_id,
    }
    # Seeing the folder grants nothing on its items.
    assert [i.public_id for i in folder_items(viewer=alpha.bob, folder=folder)] == [
        open_item.public_id
    ]


def test_an_item_can_sit_in_several_folders(alpha):
    item = _link(alpha.alice, "shared")
    one = folder_create(actor=alpha.alice, title="One")
    two = folder_create(actor=alpha.alice, title="Two")
    for folder in (one, two):
        folder_items_add(actor=alpha.alice, folder=folder, item_ids=[item.public_id])
    assert FolderItem.objects.filter(item=item).count() == 2
    # Adding again changes nothing.
    assert folder_items_add(actor=alpha.alice, folder=one, item_ids=[item.public_id]) == 0


def test_bulk_add_is_all_or_nothing_and_hides_others_items(alpha):
    folder = folder_create(actor=alpha.alice, title="Bulk")
    mine = _link(alpha.alice, "mine")
    bobs_private = _link(alpha.bob, "bobs")
    with pytest.raises(ValidationError) as error:
        folder_items_add(
            actor=alpha.alice,
            folder=folder,
            item_ids=[mine.public_id, bobs_private.public_id, "c_nosuch"],
        )
    assert len(error.value.message_dict["items"]) == 2
    assert not FolderItem.objects.filter(folder=folder).exists()
    with pytest.raises(ValidationError):
        folder_items_add(actor=alpha.alice, folder=folder, item_ids=[])
    with pytest.raises(ValidationError):
        folder_items_add(actor=alpha.alice, folder=folder, item_ids=[f"c_{n}" for n in range(101)])


def test_bulk_remove_takes_items_out_but_leaves_them_in_the_library(alpha):
    folder = folder_create(actor=alpha.alice, title="Remove")
    items = [_link(alpha.alice, f"r{n}") for n in range(3)]
    folder_items_add(actor=alpha.alice, folder=folder, item_ids=[i.public_id for i in items])
    other = _link(alpha.alice, "elsewhere")
    with pytest.raises(ValidationError):
        folder_items_remove(
            actor=alpha.alice, folder=folder, item_ids=[items[0].public_id, other.public_id]
        )
    assert FolderItem.objects.filter(folder=folder).count() == 3
    removed = folder_items_remove(
        actor=alpha.alice, folder=folder, item_ids=[items[0].public_id, items[1].public_id]
    )
    assert removed == 2
    assert [i.public_id for i in folder_items(viewer=alpha.alice, folder=folder)] == [
        items[2].public_id
    ]
    items[0].refresh_from_db()  # still there


def test_pages_follow_the_order_items_were_added(alpha):
    folder = folder_create(actor=alpha.alice, title="Paged")
    items = [_link(alpha.alice, f"p{n}") for n in range(5)]
    for item in items:
        folder_items_add(actor=alpha.alice, folder=folder, item_ids=[item.public_id])
    first, after = folder_items_page(viewer=alpha.alice, folder=folder, after=None, size=2)
    second, after2 = folder_items_page(viewer=alpha.alice, folder=folder, after=after, size=2)
    third, end = folder_items_page(viewer=alpha.alice, folder=folder, after=after2, size=2)
    assert [i.public_id for i in first + second + third] == [i.public_id for i in reversed(items)]
    assert end is None


def test_a_folder_shared_with_a_group_is_in_its_library_for_its_members(alpha):
    group = group_create(
        actor=alpha.alice, title="Seminar", visibility="loggedin", join_policy="open"
    )
    folder = folder_create(actor=alpha.alice, title="Seminar readings")
    folder_share(actor=alpha.alice, folder=folder, principals=[group], role="viewer")
    assert list(folders_of_group(viewer=alpha.bob, group=group)) == []
    group_join(actor=alpha.bob, group=group)
    assert [f.public_id for f in folders_of_group(viewer=alpha.bob, group=group)] == [
        folder.public_id
    ]


def test_only_the_group_audience_may_share_into_its_library(alpha):
    group = group_create(actor=alpha.alice, title="Closed", visibility="loggedin")
    folder = folder_create(actor=alpha.bob, title="Bob's")
    with pytest.raises(ValidationError):
        folder_share(actor=alpha.bob, folder=folder, principals=[group], role="viewer")


def test_a_folder_never_loses_its_last_manager(alpha):
    folder = folder_create(actor=alpha.alice, title="Kept")
    with pytest.raises(ValidationError):
        folder_unshare(actor=alpha.alice, folder=folder, principal=alpha.alice)
    with pytest.raises(ValidationError):
        folder_share(actor=alpha.alice, folder=folder, principals=[alpha.alice], role="viewer")
    folder_share(actor=alpha.alice, folder=folder, principals=[alpha.bob], role="viewer")
    folder_unshare(actor=alpha.bob, folder=folder, principal=alpha.bob)  # anyone may leave
    with pytest.raises(Http404):
        access_folder(alpha.bob, folder.public_id)


def test_the_folder_feed_records_creation_additions_and_shares(alpha):
    folder = folder_create(actor=alpha.alice, title="Fed")
    items = [_link(alpha.alice, f"f{n}") for n in range(2)]
    folder_items_add(actor=alpha.alice, folder=folder, item_ids=[i.public_id for i in items])
    folder_share(actor=alpha.alice, folder=folder, principals=[alpha.bob], role="viewer")
    for activity in Activity.objects.filter(folder=folder):
        activity_fan_out(activity.pk)
    entries, _ = feed_of_folder(viewer=alpha.bob, folder=folder)
    texts = [summary(alpha.bob, e) for e in entries]
    assert texts[0].endswith("shared the folder Fed with you")
    assert "added 2 items to Fed" in texts[1]
    assert "created the folder Fed" in texts[2]
    assert FeedEntry.objects.filter(user=alpha.bob, activity__folder=folder).exists()
    bobs, _ = feed_of(viewer=alpha.bob)
    assert any(e.folder is not None and e.folder.pk == folder.pk for e in bobs)


def test_a_private_folders_feed_is_hidden_from_those_who_cannot_see_it(alpha):
    folder = folder_create(actor=alpha.alice, title="Hidden")
    folder_share(actor=alpha.alice, folder=folder, principals=[alpha.bob], role="viewer")
    for activity in Activity.objects.filter(folder=folder):
        activity_fan_out(activity.pk)
    folder_unshare(actor=alpha.alice, folder=folder, principal=alpha.bob)
    bobs, _ = feed_of(viewer=alpha.bob)
    assert not any(e.folder is not None and e.folder.pk == folder.pk for e in bobs)


def test_an_item_in_the_trash_leaves_every_folder_listing(alpha):
    folder = folder_create(actor=alpha.alice, title="Trashy", visibility="loggedin")
    item = _link(alpha.alice, "gone", visibility="loggedin")
    folder_items_add(actor=alpha.alice, folder=folder, item_ids=[item.public_id])
    content_share(actor=alpha.alice, item=item, principals=[alpha.bob], role="viewer")
    content_delete(actor=alpha.alice, item=item)
    assert list(folder_items(viewer=alpha.alice, folder=folder)) == []
    assert list(folder_items(viewer=alpha.bob, folder=folder)) == []
