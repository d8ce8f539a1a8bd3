"""Invitations by e-mail: share an item (or a folder) or open a group to someone who may not
have an account yet.

The target is generic - a kind and a public id - so that each kind's grant lives in one
place (``tenant_apps.invitations.targets``). Only the SHA-256 of the token is stored; a token
works once and until ``expires``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from config.ids import PUBLIC_ID_MAX_LENGTH, new_public_id


def new_invitation_id() -> str:
    # A module-level function, so that migrations can name it.
    return new_public_id("iv")


class TargetKind(models.TextChoices):
    CONTENT = "content", _("An item of the library")
    GROUP = "group", _("A group")
    FOLDER = "folder", _("A folder")


class EmailInvitation(models.Model):
    public_id = models.CharField(
        max_length=PUBLIC_ID_MAX_LENGTH, unique=True, default=new_invitation_id, editable=False
    )
    # Lower-cased; only the inviter (who typed it) and the institution's admins see it.
    email = models.CharField(max_length=254)
    token_hash = models.CharField(max_length=64, unique=True)
    inviter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=TargetKind.choices)
    target_id = models.CharField(max_length=PUBLIC_ID_MAX_LENGTH)
    role = models.CharField(max_length=16, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            # Signing in looks for the person's address among the invitations still open.
            models.Index(
                fields=["email"],
                name="invitation_open_email_idx",
                condition=models.Q(accepted_at__isnull=True),
            ),
            models.Index(fields=["inviter", "-id"], name="invitation_inviter_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.kind} {self.target_id})"
