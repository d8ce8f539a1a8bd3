"""Writes of folders: one function per action, used by the pages, the API and the trash.

Every write checks the actor's right itself (``_require_manager``), records its activity
in the same transaction (the folder's feed and its members' feeds), and never lets a
folder lose its last person with a manager share.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from tenant_apps.activity.services import (
    activities_held_for_delete,
    activity_access_changed,
    activity_record,
)
from tenant_apps.content.models import ContentItem
from tenant_apps.content.permissions import content_visible_to
from tenant_apps.folders.models import Folder, FolderItem, FolderRole, FolderShare
from tenant_apps.folders.permissions import can_manage_folder
from tenant_apps.groups.models import Group
from tenant_apps.groups.selectors import AUDIENCE_WORDS, group_admits
from tenant_apps.people.models import User, Visibility

# Items added or removed in one call (the API's and the pages' bulk actions).
MAX_BULK = 100


class FolderNotAllowed(Http404):
    """The actor may see the folder but not change it: answered like a missing folder."""


def _require_manager(actor: User, folder: Folder) -> None:
    if not can_manage_folder(actor, folder):
        raise FolderNotAllowed("You may not change this folder.")


def _clean(folder: Folder) -> None:
    folder.title = (folder.title or "").strip()
    folder.description = (folder.description or "").strip()
    if not folder.title:
        raise ValidationError({"title": [_("A folder needs a title.")]})
    folder.full_clean(exclude=["created_by", "deleted_by"])


@transaction.atomic
def folder_create(
    *, actor: User, title: str, description: str = "", visibility: str = Visibility.PRIVATE
) -> Folder:
    """A new folder with ``actor`` as its first manager. ValidationError on bad values."""
    folder = Folder(title=title, description=description, visibility=visibility, created_by=actor)
    _clean(folder)
    folder.save()
    FolderShare.objects.create(folder=folder, user=actor, role=FolderRole.MANAGER)
    activity_record(actor=actor, verb="folder.created", folder=folder)
    return folder


@transaction.atomic
def folder_update(
    *,
    actor: User,
    folder: Folder,
    title: str | None = None,
    description: str | None = None,
    visibility: str | None = None,
) -> Folder:
    """Rename, describe or change who may see the folder (managers only)."""
    _require_manager(actor, folder)
    folder = Folder.objects.select_for_update().get(pk=folder.pk)
    if title is not None:
        folder.title = title
    if description is not None:
        folder.description = description
    changed_visibility = visibility is not None and visibility != folder.visibility
    if visibility is not None:
        folder.visibility = visibility
    _clean(folder)
    folder.save()
    if changed_visibility:
        activity_access_changed()
    activity_record(actor=actor, verb="folder.updated", folder=folder)
    return folder


# --- items ------------------------------------------------------------------------
def _items_by_ids(actor: User, ids: list[str]) -> list[ContentItem]:
    """The items ``ids`` names that ``actor`` may see; ValidationError naming the others
    (an item one may not see answers like an unknown id)."""
    ids = list(dict.fromkeys(str(i) for i in ids))
    if not ids:
        raise ValidationError({"items": [_("Choose at least one item.")]})
    if len(ids) > MAX_BULK:
        raise ValidationError({"items": [_("At most %(n)d items at once.") % {"n": MAX_BULK}]})
    found = {
        item.public_id: item
        for item in content_visible_to(actor).filter(public_id__in=ids).only("id", "public_id")
    }
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise ValidationError(
            {"items": [_("No such item: %(id)s") % {"id": i[:40]} for i in unknown]}
        )
    return [found[i] for i in ids]


@transaction.atomic
def folder_items_add(*, actor: User, folder: Folder, item_ids: list[str]) -> int:
    """Add the items ``item_ids`` (public ids of items ``actor`` may see) to the folder
    (managers only). Items already in it stay as they are. Returns how many were added.

    All or nothing: one unknown id is a ValidationError and nothing is added.
    """
    _require_manager(actor, folder)
    items = _items_by_ids(actor, item_ids)
    present = set(
        FolderItem.objects.filter(folder=folder, item__in=items).values_list("item_id", flat=True)
    )
    new = [FolderItem(folder=folder, item=item, added_by=actor) for item in items]
    new = [entry for entry in new if entry.item_id not in present]
    # Newest addition first on the folder's page: written last to first, so that one
    # call's items read in the order they were given.
    FolderItem.objects.bulk_create(new[::-1], ignore_conflicts=True)
    if new:
        Folder.objects.filter(pk=folder.pk).update(modified=timezone.now())
        activity_record(
            actor=actor, verb="folder.items_added", folder=folder, data={"count": len(new)}
        )
    return len(new)


@transaction.atomic
def folder_items_remove(*, actor: User, folder: Folder, item_ids: list[str]) -> int:
    """Take the items ``item_ids`` out of the folder (managers only); the items themselves
    stay where they are. All or nothing: an id of no item in the folder (that ``actor``
    may see) is a ValidationError. Returns how many were removed."""
    _require_manager(actor, folder)
    items = _items_by_ids(actor, item_ids)
    entries = FolderItem.objects.filter(folder=folder, item__in=items)
    present = set(entries.values_list("item_id", flat=True))
    missing = [item.public_id for item in items if item.pk not in present]
    if missing:
        raise ValidationError(
            {"items": [_("Not in this folder: %(id)s") % {"id": i} for i in missing]}
        )
    removed, _rows = entries.delete()
    activity_record(
        actor=actor, verb="folder.items_removed", folder=folder, data={"count": removed}
    )
    return removed


# --- members ----------------------------------------------------------------------
def _principal_filter(principal: User | Group) -> dict:
    return {"user": principal} if isinstance(principal, User) else {"group": principal}


def _person_managers(folder: Folder) -> int:
    return FolderShare.objects.filter(
        folder=folder, user__isnull=False, role=FolderRole.MANAGER
    ).count()


@transaction.atomic
def folder_share(
    *, actor: User, folder: Folder, principals: list[User | Group], role: str
) -> list[FolderShare]:
    """Make people and groups members of the folder as viewer or manager (managers only).

    A group share puts the folder into the group's library, which only the group's
    ``library_policy`` audience may do. Never leaves the folder without a person manager.
    """
    _require_manager(actor, folder)
    if role not in FolderRole.values:
        raise ValidationError({"role": [_("Choose viewer or manager.")]})
    refused = [
        _("%(id)s: only %(who)s may share into this group's library.")
        % {"id": group.public_id, "who": AUDIENCE_WORDS[group.library_policy]}
        for group in principals
        if isinstance(group, Group) and not group_admits(actor, group, group.library_policy)
    ]
    if refused:
        raise ValidationError({"principals": refused})
    Folder.objects.select_for_update().filter(pk=folder.pk).first()
    shares = [
        FolderShare.objects.update_or_create(
            folder=folder, **_principal_filter(principal), defaults={"role": role}
        )[0]
        for principal in principals
    ]
    if _person_managers(folder) == 0:
        raise ValidationError(
            {"role": [_("The folder would have no manager left; make someone else one first.")]}
        )
    activity_record(actor=actor, verb="folder.shared", folder=folder, targets=principals)
    activity_access_changed()
    return shares


@transaction.atomic
def folder_unshare(*, actor: User, folder: Folder, principal: User | Group) -> None:
    """Remove a member (managers; anyone may leave). Never the last person manager."""
    if not (isinstance(principal, User) and principal.pk == actor.pk):
        _require_manager(actor, folder)
    Folder.objects.select_for_update().filter(pk=folder.pk).first()
    deleted, _rows = FolderShare.objects.filter(
        folder=folder, **_principal_filter(principal)
    ).delete()
    if not deleted:
        raise ValidationError({"principal": [_("The folder is not shared with them.")]})
    if _person_managers(folder) == 0:
        raise ValidationError(
            {
                "principal": [
                    _("The folder would have no manager left; make someone else one first.")
                ]
            }
        )
    activity_access_changed()


# --- the trash ----------------------------------------------------------------------
@transaction.atomic
def folder_delete(*, actor: User, folder: Folder) -> None:
    """Move the folder to the trash (managers only). Its items stay where they are (in
    their owners' libraries and other folders); the folder is seen by no one until a
    manager restores it, and purged after the institution's trash period."""
    _require_manager(actor, folder)
    Folder.objects.filter(pk=folder.pk).update(deleted_at=timezone.now(), deleted_by=actor)
    activity_access_changed()


@transaction.atomic
def folder_restore(*, actor: User, folder: Folder) -> Folder:
    """Take a folder out of the trash with its items and members (managers only)."""
    _require_manager(actor, folder)
    Folder.objects.filter(pk=folder.pk).update(deleted_at=None, deleted_by=None)
    activity_access_changed()
    return Folder.objects.get(pk=folder.pk)


@transaction.atomic
def folder_purge(*, folder: Folder) -> None:
    """Delete a trashed folder for good (the trash's purge): its entries, members and
    activities. The items it held are untouched."""
    activities_held_for_delete(Q(folder_id=folder.pk))
    Folder.objects.filter(pk=folder.pk, deleted_at__isnull=False).delete()
    activity_access_changed()
