"""Writes of the trash: restoring by id (any kind), moving to it by id, and the purge.

Moving something to the trash is its own app's delete (``content_delete``,
``folder_delete``, ``group_delete``): one write path each. Here, a restore finds the
thing by its id's prefix through that app's trash door and calls that app's restore;
the purge calls each app's purge for what has been in the trash past the period. The
period is the institution's setting ``trash_days`` (institution_settings_update).
"""

from __future__ import annotations

import logging

from django.http import Http404
from django.utils.translation import gettext as _

from tenant_apps.content.access import access_content, access_trashed_content
from tenant_apps.content.models import ContentItem
from tenant_apps.content.services import content_delete, content_purge, content_restore
from tenant_apps.folders.access import access_folder, access_trashed_folder
from tenant_apps.folders.models import Folder
from tenant_apps.folders.services import folder_delete, folder_purge, folder_restore
from tenant_apps.groups.access import access_group, access_trashed_group
from tenant_apps.groups.models import Group
from tenant_apps.groups.services import group_delete, group_purge, group_restore
from tenant_apps.people.models import User
from tenant_apps.trash.selectors import purge_due

log = logging.getLogger(__name__)
# Rows purged per kind and run: a backlog drains over a few runs without a long task.
PURGE_BATCH = 500


def trash_restore(*, actor: User, public_id: str) -> ContentItem | Folder | Group:
    """Restore the item (``c_``), folder (``f_``) or group (``g_``) ``public_id`` from
    ``actor``'s trash. Http404 for anything else (missing, not theirs, not in the trash)."""
    if public_id.startswith("c_"):
        return content_restore(actor=actor, item=access_trashed_content(actor, public_id))
    if public_id.startswith("f_"):
        return folder_restore(actor=actor, folder=access_trashed_folder(actor, public_id))
    if public_id.startswith("g_"):
        return group_restore(actor=actor, group=access_trashed_group(actor, public_id))
    raise Http404(_("No such thing in your trash."))


def trash_target(actor: User, public_id: str) -> ContentItem | Folder | Group:
    """The item, folder or group ``public_id`` that ``actor`` may move to the trash (its
    managers); Http404 otherwise, through each app's own door."""
    if public_id.startswith("c_"):
        return access_content(actor, public_id, for_write=True)
    if public_id.startswith("f_"):
        return access_folder(actor, public_id, for_write=True)
    if public_id.startswith("g_"):
        return access_group(actor, public_id, for_write=True)
    raise Http404(_("No such thing."))


def trash_move(*, actor: User, obj: ContentItem | Folder | Group) -> None:
    """Move ``obj`` to the trash through its own app's delete (the one write path)."""
    if isinstance(obj, ContentItem):
        content_delete(actor=actor, item=obj)
    elif isinstance(obj, Folder):
        folder_delete(actor=actor, folder=obj)
    else:
        group_delete(actor=actor, group=obj)


def trash_purge_due(*, batch: int = PURGE_BATCH) -> dict[str, int]:
    """Purge (in the current institution) what has been in the trash past its period:
    groups, folders, then items, each through its own app's purge. Returns the counts."""
    done = {"group": 0, "folder": 0, "content": 0}
    for kind, model, purge in (
        ("group", Group, lambda row: group_purge(group=row)),
        ("folder", Folder, lambda row: folder_purge(folder=row)),
        ("content", ContentItem, lambda row: content_purge(item=row, only_trashed=True)),
    ):
        for row in purge_due(model)[:batch]:
            purge(row)
            done[kind] += 1
    return done
