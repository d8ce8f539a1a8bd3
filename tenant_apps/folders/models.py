"""Folders: collections of content items with their own visibility and members.

A folder holds references to items (``FolderItem``), never the items themselves: an item
may sit in several folders, and whoever reads a folder sees only those of its items the
content library's permission rule lets them see. A folder is shared like an item, with
people and groups as viewer or manager (``FolderShare``); a share to a group puts the
folder into that group's library.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from config.ids import PUBLIC_ID_MAX_LENGTH, new_public_id
from tenant_apps.content.models import ContentItem
from tenant_apps.groups.models import Group
from tenant_apps.people.models import Visibility


def new_folder_id() -> str:
    # A module-level function, so that migrations can name it.
    return new_public_id("f")


class FolderRole(models.TextChoices):
    VIEWER = "viewer", _("Viewer")
    MANAGER = "manager", _("Manager")


class Folder(models.Model):
    public_id = models.CharField(
        max_length=PUBLIC_ID_MAX_LENGTH, unique=True, default=new_folder_id, editable=False
    )
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=5000, blank=True)
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)
    # In the trash since then (tenant_apps.folders.services.folder_delete): invisible to
    # everyone but its managers' trash, purged after the institution's trash period.
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Search (tenant_apps.search): the title (A) and the description (B), kept by a trigger.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        indexes = [
            GinIndex(fields=["search_vector"], name="folder_search_idx"),
            GinIndex(fields=["title"], opclasses=["gin_trgm_ops"], name="folder_title_trgm_idx"),
            models.Index(fields=["-created", "-id"], name="folder_recent_idx"),
            models.Index(
                fields=["deleted_at"],
                name="folder_trash_idx",
                condition=models.Q(deleted_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class FolderShare(models.Model):
    """A folder's member: one person or one group, as viewer or manager."""

    folder = models.ForeignKey(Folder, on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="folder_shares",
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="folder_shares"
    )
    role = models.CharField(max_length=8, choices=FolderRole.choices, default=FolderRole.VIEWER)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, group__isnull=True)
                    | models.Q(user__isnull=True, group__isnull=False)
                ),
                name="folder_share_one_principal",
            ),
            models.UniqueConstraint(
                fields=["folder", "user"],
                name="folder_share_user_unique",
                condition=models.Q(user__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["folder", "group"],
                name="folder_share_group_unique",
                condition=models.Q(group__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["user", "folder"], name="folder_share_user_idx"),
            models.Index(fields=["group", "folder"], name="folder_share_group_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.folder_id} -> {self.user_id or self.group_id} ({self.role})"


class FolderItem(models.Model):
    """An item in a folder (an item may be in many folders, once in each)."""

    folder = models.ForeignKey(Folder, on_delete=models.CASCADE, related_name="entries")
    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="folder_entries")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["folder", "item"], name="folder_item_unique"),
        ]
        indexes = [
            # A folder's page: its entries newest first, the same cost on every page.
            models.Index(fields=["folder", "-id"], name="folder_item_page_idx"),
            models.Index(fields=["item"], name="folder_item_item_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} in {self.folder_id}"
