"""Single-instance blobs: one row per distinct content (SHA-256) in the institution.

The bytes live in the blob storage under ``tenants/<tenant uuid>/blobs/<sha256>``;
the row exists only after the object has been written and checked. ``refs`` counts
the rows elsewhere (content versions, previews) that point at the blob.
"""

from __future__ import annotations

from django.db import models


class Blob(models.Model):
    sha256 = models.CharField(max_length=64, unique=True)
    size = models.BigIntegerField()
    refs = models.IntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    # Set when refs drops to 0: the collector removes the blob after the grace period.
    unreferenced_since = models.DateTimeField(null=True, blank=True)
    # Set by the reconciler when the object was not found in storage.
    missing_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["unreferenced_since"],
                name="blob_unreferenced_idx",
                condition=models.Q(refs=0),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(refs__gte=0), name="blob_refs_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sha256[:12]} ({self.size} bytes, {self.refs} refs)"
