"""Documents written together: the CRDT state of each document, and its revisions.

The live state of a document is a Yjs document (pycrdt on the server, Yjs in the
browser). It is kept in the institution's schema as a compacted snapshot
(``DocumentState.snapshot``) plus the updates appended since (``DocumentUpdate``):
an editor's change is acknowledged only once its row is committed, and loading is
the snapshot with every remaining update applied (applying one twice is harmless).

A ``Revision`` is a named or automatic snapshot of the document's sanitised HTML,
listing who wrote since the previous one; the item's ``body_html`` is the latest
revision's HTML, which the rest of the product (pages, search, previews, export) reads.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from config.ids import PUBLIC_ID_MAX_LENGTH, new_public_id
from tenant_apps.content.models import ContentItem


def new_revision_id() -> str:
    return new_public_id("r")


class DocumentState(models.Model):
    item = models.OneToOneField(
        ContentItem, primary_key=True, on_delete=models.CASCADE, related_name="document_state"
    )
    # The Yjs update holding everything compacted so far (empty: nothing yet).
    snapshot = models.BinaryField(default=bytes)
    # Updates appended since the last compaction (a hint for when to compact).
    pending_updates = models.PositiveIntegerField(default=0)
    # The live document changed since the latest revision, by these people (user ids).
    changed = models.BooleanField(default=False)
    authors = ArrayField(models.BigIntegerField(), default=list, blank=True)
    last_change = models.DateTimeField(null=True, blank=True)
    size = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"state of {self.item_id}"


class DocumentUpdate(models.Model):
    id = models.BigAutoField(primary_key=True)
    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="+")
    data = models.BinaryField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["item", "id"], name="authoring_update_item_idx")]

    def __str__(self) -> str:
        return f"update {self.pk} of {self.item_id}"


class RevisionKind(models.TextChoices):
    AUTO = "auto", _("Saved automatically")
    NAMED = "named", _("Saved by name")
    WRITTEN = "written", _("Written (API or form)")
    RESTORED = "restored", _("Restored")


class Revision(models.Model):
    public_id = models.CharField(
        max_length=PUBLIC_ID_MAX_LENGTH, unique=True, default=new_revision_id, editable=False
    )
    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=8, choices=RevisionKind.choices)
    name = models.CharField(max_length=200, blank=True)
    html = models.TextField(blank=True)
    text = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    authors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    restored_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="authoring_revision_number"),
        ]
        indexes = [models.Index(fields=["item", "-number"], name="authoring_revision_idx")]

    def __str__(self) -> str:
        return f"{self.item_id} r{self.number}"
