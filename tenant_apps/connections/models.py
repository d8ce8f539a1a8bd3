"""Connections between two people of one institution, and blocks.

One row per pair, whoever invited whom (a unique index on the unordered pair), so two
people inviting each other at once cannot end up with two connections.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Greatest, Least
from django.utils.translation import gettext_lazy as _

from config.ids import PUBLIC_ID_MAX_LENGTH, new_public_id


def new_connection_id() -> str:
    # A module-level function, so that migrations can name it.
    return new_public_id("k")


class ConnectionStatus(models.TextChoices):
    PENDING = "pending", _("Invited, not yet accepted")
    ACCEPTED = "accepted", _("Connected")


class Connection(models.Model):
    public_id = models.CharField(
        max_length=PUBLIC_ID_MAX_LENGTH, unique=True, default=new_connection_id, editable=False
    )
    inviter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    invitee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        max_length=8, choices=ConnectionStatus.choices, default=ConnectionStatus.PENDING
    )
    created = models.DateTimeField(auto_now_add=True)
    accepted = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Least("inviter", "invitee"), Greatest("inviter", "invitee"), name="connection_pair"
            ),
            models.CheckConstraint(
                condition=~models.Q(inviter=models.F("invitee")), name="connection_not_self"
            ),
        ]
        indexes = [
            models.Index(fields=["inviter", "status", "id"], name="connection_inviter_idx"),
            models.Index(fields=["invitee", "status", "id"], name="connection_invitee_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.inviter_id} -> {self.invitee_id} ({self.status})"

    def other(self, user_id: int) -> int:
        return self.invitee_id if self.inviter_id == user_id else self.inviter_id


class Block(models.Model):
    """``blocker`` no longer hears from ``blocked``: no invitations, no messages."""

    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_unique"),
        ]
        indexes = [models.Index(fields=["blocked", "blocker"], name="block_blocked_idx")]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"


class Follow(models.Model):
    """``follower`` sees ``followed``'s public activity in their feed (if ``followed``
    allows followers: FollowSettings)."""

    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    followed = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followed"], name="follow_unique"),
            models.CheckConstraint(
                condition=~models.Q(follower=models.F("followed")), name="follow_not_self"
            ),
        ]
        indexes = [
            # A person's followers and the people they follow, newest first (keyset pages).
            models.Index(fields=["followed", "-id"], name="follow_followed_idx"),
            models.Index(fields=["follower", "-id"], name="follow_follower_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.follower_id} follows {self.followed_id}"


class FollowSettings(models.Model):
    """A person's choices about following (no row: the defaults, both allowed)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="follow_settings",
    )
    # Whether others may follow them.
    allows_followers = models.BooleanField(default=True)
    # Whether they appear in other people's follower and following lists (and their own
    # lists are shown to others); they always see themselves and their own lists.
    is_listed = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.user_id}: followers {self.allows_followers}, listed {self.is_listed}"
