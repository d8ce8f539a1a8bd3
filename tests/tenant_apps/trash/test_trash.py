"""The trash: deleting moves items, folders and groups there; trashed things vanish from
every list, door, search and feed for everyone; their managers restore them; the purge
removes them for good after the institution's period (blobs through the collector)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django_tenants.utils import schema_context

from tenant_apps.activity.fanout import activity_fan_out
from tenant_apps.activity.models import Activity
from tenant_apps.activity.selectors import feed_of
from tenant_apps.blobs.models import Blob
from tenant_apps.content.access import access_content
from tenant_apps.content.models import ContentItem
from tenant_apps.content.selectors import content_library, content_of_group
from tenant_apps.content.services import (
    content_add_link,
    content_delete,
    content_share,
    content_upload_file,
)
from tenant_apps.folders.access import access_folder
from tenant_apps.folders.models import Folder
from tenant_apps.folders.services import folder_create, folder_delete
from tenant_apps.groups.access import access_group
from tenant_apps.groups.models import Group
from tenant_apps.groups.selectors import groups_visible_to
from tenant_apps.groups.services import group_create, group_delete, group_invite, group_join
from tenant_apps.institution.admin_services import institution_settings_update
from tenant_apps.trash.selectors import trash_page, trash_preview
from tenant_apps.trash.services import trash_purge_due, trash_restore
from tests.tenant_apps.content.conftest import random_bytes, upload_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def alpha(world):
    with schema_context(world.tenant_a.schema_name):
        yield world


def _link(actor, title="Lecture notes", visibility="loggedin"):
    return content_add_link(
        actor=actor, url="https://example.org/x", title=title, visibility=visibility
    )


def _age(model, obj, days):
    model.objects.filter(pk=obj.pk).update(deleted_at=timezone.now() - timedelta(days=days))


def test_a_deleted_item_vanishes_for_everyone_and_its_manager_restores_it(alpha):
    item = _link(alpha.alice)
    content_delete(actor=alpha.alice, item=item)
    for person in (alpha.alice, alpha.bob):
        with pytest.raises(Http404):
            access_content(person, item.public_id)
    assert item.pk not in {i.pk for i in content_library(viewer=alpha.alice)}
    entries, _ = trash_page(viewer=alpha.alice, cursor=None, size=10)
    assert [e.public_id for e in entries] == [item.public_id]
    assert trash_page(viewer=alpha.bob, cursor=None, size=10)[0] == []
    with pytest.raises(Http404):
        trash_restore(actor=alpha.bob, public_id=item.public_id)
    trash_restore(actor=alpha.alice, public_id=item.public_id)
    assert access_content(alpha.bob, item.public_id)


def test_a_deleted_item_leaves_search_and_feeds(world, client_a, bearer):
    bob = bearer(world.bob, world.tenant_a)
    with schema_context(world.tenant_a.schema_name):
        item = _link(world.alice, title="Photosynthesis primer")
        content_share(actor=world.alice, item=item, principals=[world.bob], role="viewer")
        for activity in Activity.objects.filter(item=item):
            activity_fan_out(activity.pk)
        assert any(e.item and e.item.pk == item.pk for e in feed_of(viewer=world.bob)[0])

    def found() -> list[str]:
        body = client_a.get("/api/v1/search/?q=photosynthesis&type=content", **bob).json()
        return [r["id"] for r in body["results"]]

    assert found() == [item.public_id]
    with schema_context(world.tenant_a.schema_name):
        content_delete(actor=world.alice, item=item)
        assert not any(e.item and e.item.pk == item.pk for e in feed_of(viewer=world.bob)[0])
    assert found() == []


def test_a_deleted_group_vanishes_and_its_shares_grant_nothing(alpha):
    group = group_create(actor=alpha.alice, title="Study group", visibility="private")
    group_invite(actor=alpha.alice, group=group, person=alpha.bob)
    group_join(actor=alpha.bob, group=group)
    item = _link(alpha.alice, visibility="private")
    content_share(actor=alpha.alice, item=item, principals=[group], role="viewer")
    assert access_content(alpha.bob, item.public_id)
    lines = trash_preview(group)
    assert any("2 members" in line for line in lines)
    assert any("1 item" in line for line in lines)
    group_delete(actor=alpha.alice, group=group)
    with pytest.raises(Http404):
        access_group(alpha.bob, group.public_id)
    with pytest.raises(Http404):
        access_content(alpha.bob, item.public_id)
    assert group.pk not in {g.pk for g in groups_visible_to(alpha.alice)}
    with pytest.raises(Http404):  # only managers restore it
        trash_restore(actor=alpha.bob, public_id=group.public_id)
    trash_restore(actor=alpha.alice, public_id=group.public_id)
    assert access_content(alpha.bob, item.public_id)
    assert list(content_of_group(viewer=alpha.bob, group=group)) == [item]


def test_a_deleted_folder_vanishes_and_comes_back_with_its_items(alpha):
    folder = folder_create(actor=alpha.alice, title="Week 2", visibility="loggedin")
    folder_delete(actor=alpha.alice, folder=folder)
    with pytest.raises(Http404):
        access_folder(alpha.bob, folder.public_id)
    with pytest.raises(Http404):
        access_folder(alpha.alice, folder.public_id)
    trash_restore(actor=alpha.alice, public_id=folder.public_id)
    assert access_folder(alpha.bob, folder.public_id)


def test_the_trash_pages_by_deletion_time_across_kinds(alpha):
    things = []
    for n in range(3):
        item = _link(alpha.alice, title=f"i{n}")
        content_delete(actor=alpha.alice, item=item)
        folder = folder_create(actor=alpha.alice, title=f"f{n}")
        folder_delete(actor=alpha.alice, folder=folder)
        group = group_create(actor=alpha.alice, title=f"g{n}")
        group_delete(actor=alpha.alice, group=group)
        things += [item.public_id, folder.public_id, group.public_id]
    seen, cursor = [], None
    while True:
        page, cursor = trash_page(viewer=alpha.alice, cursor=cursor, size=4)
        seen += [e.public_id for e in page]
        if cursor is None:
            break
    assert seen == list(reversed(things))


def test_the_purge_removes_what_is_past_the_period_and_releases_blobs(alpha):
    institution_settings_update(actor=alpha.admin_a, trash_days=7)
    old = content_upload_file(
        actor=alpha.alice, source=upload_file(random_bytes()), filename="old.bin"
    )
    recent = _link(alpha.alice, title="recent")
    folder = folder_create(actor=alpha.alice, title="old folder")
    group = group_create(actor=alpha.alice, title="old group")
    blob_id = old.current_version.blob_id
    for model, obj, deleter in (
        (ContentItem, old, lambda: content_delete(actor=alpha.alice, item=old)),
        (ContentItem, recent, lambda: content_delete(actor=alpha.alice, item=recent)),
        (Folder, folder, lambda: folder_delete(actor=alpha.alice, folder=folder)),
        (Group, group, lambda: group_delete(actor=alpha.alice, group=group)),
    ):
        deleter()
        _age(model, obj, 8 if obj is not recent else 6)
    assert trash_purge_due() == {"group": 1, "folder": 1, "content": 1}
    assert not ContentItem.objects.filter(pk=old.pk).exists()
    assert ContentItem.objects.filter(pk=recent.pk).exists()
    assert not Folder.objects.filter(pk=folder.pk).exists()
    assert not Group.objects.filter(pk=group.pk).exists()
    assert Blob.objects.get(pk=blob_id).refs == 0  # the collector takes it after its grace


def test_the_trash_period_is_an_institution_setting(alpha):
    with pytest.raises(ValidationError):
        institution_settings_update(actor=alpha.admin_a, trash_days=0)
    with pytest.raises(ValidationError):
        institution_settings_update(actor=alpha.admin_a, trash_days=366)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        institution_settings_update(actor=alpha.alice, trash_days=3)
    institution_settings_update(actor=alpha.admin_a, trash_days=3)
    item = _link(alpha.alice)
    content_delete(actor=alpha.alice, item=item)
    entry = trash_page(viewer=alpha.alice, cursor=None, size=1)[0][0]
    assert entry.purge_at - entry.deleted_at == timedelta(days=3)
    assert any("3 days" in line for line in trash_preview(_link(alpha.alice)))
