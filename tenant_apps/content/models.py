"""The content library: items (files, links, documents), their versions, shares and comments.

A file's bytes are a blob (tenant_apps.blobs), referenced by each version that
holds them; the item's current version is the latest or a restored one.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.ids import PUBLIC_ID_MAX_LENGTH, new_public_id
from tenant_apps.blobs.models import Blob
from tenant_apps.groups.models import Group
from tenant_apps.people.models import Visibility


def new_content_id() -> str:
    return new_public_id("c")


def new_version_id() -> str:
    return new_public_id("v")


def new_comment_id() -> str:
    return new_public_id("cm")


class Kind(models.TextChoices):
    FILE = "file", _("File")
    LINK = "link", _("Link")
    DOCUMENT = "document", _("Document")


class ShareRole(models.TextChoices):
    """What a share lets its holder do: see; see and change the content; and share and delete."""

    VIEWER = "viewer", _("Viewer")
    EDITOR = "editor", _("Editor")
    MANAGER = "manager", _("Manager")


class Processing(models.TextChoices):
    NONE = "none", _("Nothing to do")
    PENDING = "pending", _("Waiting")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ContentItem(models.Model):
    public_id = models.CharField(
        max_length=PUBLIC_ID_MAX_LENGTH, unique=True, default=new_content_id, editable=False
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    title = models.CharField(max_length=300)
    description = models.TextField(max_length=10000, blank=True)
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)
    # Links: the address (validated, never fetched by the server).
    url = models.URLField(max_length=2000, blank=True)
    # Documents: authored HTML, sanitised with nh3 before it is stored.
    body_html = models.TextField(blank=True)
    current_version = models.ForeignKey(
        "ContentVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Search (tenant_apps.search): title and tags (A), description (B), the link's
    # address, the document's text and the file's name (C), the current version's
    # extracted text (D); kept by triggers in the write's transaction and when the
    # extracted text arrives.
    search_vector = SearchVectorField(null=True, editable=False)
    # In the trash since then (content_delete): invisible everywhere but its managers'
    # trash; restored by them, or purged after the institution's trash period.
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(
                fields=["deleted_at"],
                name="content_trash_idx",
                condition=models.Q(deleted_at__isnull=False),
            ),
            GinIndex(fields=["search_vector"], name="content_search_idx"),
            GinIndex(fields=["title"], opclasses=["gin_trgm_ops"], name="content_title_trgm_idx"),
            models.Index(fields=["-created", "-id"], name="content_recent_idx"),
            models.Index(fields=["-modified", "-id"], name="content_active_idx"),
            models.Index(fields=["created_by", "-created", "-id"], name="content_library_idx"),
            models.Index(fields=["visibility", "-created", "-id"], name="content_visibility_idx"),
            GinIndex(fields=["tags"], name="content_tags_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class ContentVersion(models.Model):
    public_id = models.CharField(
        max_length=PUBLIC_ID_MAX_LENGTH, unique=True, default=new_version_id, editable=False
    )
    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=255)
    mime_type = models.CharField(max_length=255)
    size = models.BigIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    # The version this one restored, if it is a restore.
    restored_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Background work: a PNG preview (itself a blob) and the extracted text.
    preview_blob = models.ForeignKey(
        Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    preview_status = models.CharField(
        max_length=8, choices=Processing.choices, default=Processing.PENDING
    )
    text_status = models.CharField(
        max_length=8, choices=Processing.choices, default=Processing.PENDING
    )
    extracted_text = models.TextField(blank=True)
    # Attempts are counted when one starts (a worker killed mid-task has used one).
    processing_attempts = models.PositiveSmallIntegerField(default=0)
    processing_error = models.CharField(max_length=500, blank=True)
    # When the work was last queued: the sweep (content.sweep) queues it again when a
    # pending version has waited past CONTENT_PROCESSING_SWEEP_AFTER_SECONDS, so no
    # work depends on a queued message surviving.
    processing_queued_at = models.DateTimeField(default=timezone.now)
    # Documents (PDFs, Office files through LibreOffice): how many pages the file has and
    # how many of them have a page image (PreviewPage; at most CONTENT_PREVIEW_MAX_PAGES).
    page_count = models.PositiveIntegerField(default=0)
    pages_rendered = models.PositiveIntegerField(default=0)
    # Video and audio: the length in seconds (ffprobe); the poster frame is preview_blob.
    media_duration = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="content_version_number"),
        ]
        indexes = [
            # The sweep's question, "which versions still wait?", reads only those.
            models.Index(
                fields=["processing_queued_at"],
                name="content_version_pending_idx",
                condition=models.Q(preview_status="pending") | models.Q(text_status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} v{self.number}"


class PreviewPage(models.Model):
    """One page image (PNG, a blob) of a document version, numbered from 1."""

    version = models.ForeignKey(
        ContentVersion, on_delete=models.CASCADE, related_name="preview_pages"
    )
    number = models.PositiveIntegerField()
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "number"], name="content_preview_page"),
        ]

    def __str__(self) -> str:
        return f"{self.version_id} page {self.number}"


class LinkPreview(models.Model):
    """What a link's page says about itself (OpenGraph/oEmbed), fetched in the background.

    Made pending when the link is added or its address changes; processed, retried and
    swept like a version's preview (tenant_apps.content.tasks).
    """

    item = models.OneToOneField(
        ContentItem, on_delete=models.CASCADE, primary_key=True, related_name="link_preview"
    )
    url = models.URLField(max_length=2000)  # the address this preview is of
    status = models.CharField(max_length=8, choices=Processing.choices, default=Processing.PENDING)
    title = models.CharField(max_length=300, blank=True)
    description = models.CharField(max_length=1000, blank=True)
    site_name = models.CharField(max_length=200, blank=True)
    image_blob = models.ForeignKey(
        Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    queued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["queued_at"],
                name="content_link_pending_idx",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"preview of {self.item_id}"


class Share(models.Model):
    """An item shared with one person or one group, as viewer, editor or manager."""

    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="content_shares",
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="content_shares"
    )
    role = models.CharField(max_length=8, choices=ShareRole.choices, default=ShareRole.VIEWER)
    # Who shared it (the last to set this share's role): shown as "shared by" to its
    # holder. Empty for the creator's own manager share, rows older than the column, and
    # a sharer whose account is gone.
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created = models.DateTimeField(auto_now_add=True)
    # When ``shared_by`` last set the role: what "shared by ... on ..." shows. ``created``
    # keeps the first share's date.
    shared = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, group__isnull=True)
                    | models.Q(user__isnull=True, group__isnull=False)
                ),
                name="content_share_one_principal",
            ),
            models.UniqueConstraint(
                fields=["item", "user"],
                name="content_share_user_unique",
                condition=models.Q(user__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["item", "group"],
                name="content_share_group_unique",
                condition=models.Q(group__isnull=False),
            ),
        ]
        indexes = [
            # "Shared with me" and the permission rule: by principal, then item.
            models.Index(fields=["user", "item"], name="content_share_user_idx"),
            models.Index(fields=["group", "item"], name="content_share_group_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} -> {self.user_id or self.group_id} ({self.role})"


class Comment(models.Model):
    public_id = models.CharField(
        max_length=PUBLIC_ID_MAX_LENGTH, unique=True, default=new_comment_id, editable=False
    )
    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body_html = models.TextField()
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["item", "created", "id"], name="content_comment_idx")]

    def __str__(self) -> str:
        return f"comment {self.public_id} on {self.item_id}"


class LibrarySettings(models.Model):
    """The institution's own content settings (one row); empty values fall back to settings."""

    SINGLETON_PK = 1
    max_upload_bytes = models.PositiveBigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return "library settings"
