"""People's profile pictures (in the institution's schema; the bytes in its blob store).

A separate table because people (``tenant_apps.people``) also live in the public
schema, which has no blob store. ``User.picture_sha256`` mirrors which picture a
person has, so that profile lists need no extra query to link it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Avatar(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="avatar"
    )
    blob = models.ForeignKey("blobs.Blob", on_delete=models.PROTECT, related_name="+")
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"picture of {self.user_id}"
