"""People of one institution (in its schema) and platform admins (in the public schema)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from config.ids import PUBLIC_ID_MAX_LENGTH, new_public_id


def new_user_id() -> str:
    return new_public_id("u")


def new_token_id() -> str:
    return new_public_id("pat")


class User(AbstractUser):
    """A person. ``public_id`` is the only handle that leaves the institution's admins."""

    public_id = models.CharField(
        max_length=PUBLIC_ID_MAX_LENGTH, unique=True, default=new_user_id, editable=False
    )
    display_name = models.CharField(max_length=200, blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.display_name or self.public_id


class AccessToken(models.Model):
    """A personal access token, sent as ``Authorization: Bearer <token>``.

    Only a SHA-256 of the secret is stored; it lives in the institution's schema,
    so a token of one institution matches nothing on any other host.
    """

    public_id = models.CharField(
        max_length=PUBLIC_ID_MAX_LENGTH, unique=True, default=new_token_id, editable=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens"
    )
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"
