"""Discussions: topics (on their own or within a group) and their threaded replies.

A topic has a visibility like a content item's (``private``, ``loggedin``, ``public``) and
members (``member`` or ``manager``); a topic within a group is also open to the group's
members, and never to anyone who may not see the group. Replies are threaded: each keeps
``path``, its ancestors' ids and its own (zero-padded, compared byte by byte), so that a
whole discussion reads in thread order as one keyset over an index, whatever its size.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from config.ids import PUBLIC_ID_MAX_LENGTH, new_public_id
from tenant_apps.people.models import Visibility


def new_discussion_id() -> str:
    # Module-level functions, so that migrations can name them.
    return new_public_id("d")


def new_reply_id() -> str:
    return new_public_id("dr")


class DiscussionRole(models.TextChoices):
    MEMBER = "member", _("Member")
    MANAGER = "manager", _("Manager")


class Discussion(models.Model):
    public_id = models.CharField(
        max_length=PUBLIC_ID_MAX_LENGTH, unique=True, default=new_discussion_id, editable=False
    )
    title = models.CharField(max_length=200)
    # Sanitised HTML (nh3) - safe to render as it is.
    body = models.TextField()
    group = models.ForeignKey(
        "groups.Group",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="discussions",
    )
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.LOGGEDIN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    # The newest reply's time (the topic's own at first): lists show the liveliest first.
    last_activity_at = models.DateTimeField()
    reply_count = models.PositiveIntegerField(default=0)
    # Search (tenant_apps.search): the title (A) and the opening text (B), kept by a trigger.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        indexes = [
            GinIndex(fields=["search_vector"], name="discussion_search_idx"),
            GinIndex(
                fields=["title"], opclasses=["gin_trgm_ops"], name="discussion_title_trgm_idx"
            ),
            models.Index(
                models.F("last_activity_at").desc(),
                models.F("id").desc(),
                name="discussion_recent_idx",
            ),
            models.Index(
                "group",
                models.F("last_activity_at").desc(),
                models.F("id").desc(),
                name="discussion_group_recent_idx",
                condition=models.Q(group__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class DiscussionMember(models.Model):
    discussion = models.ForeignKey(Discussion, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="discussion_memberships"
    )
    role = models.CharField(
        max_length=8, choices=DiscussionRole.choices, default=DiscussionRole.MEMBER
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["discussion", "user"], name="discussion_member_unique")
        ]
        indexes = [models.Index(fields=["user", "discussion"], name="discussion_member_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.discussion_id} ({self.role})"


class Reply(models.Model):
    public_id = models.CharField(
        max_length=PUBLIC_ID_MAX_LENGTH, unique=True, default=new_reply_id, editable=False
    )
    discussion = models.ForeignKey(Discussion, on_delete=models.CASCADE, related_name="replies")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Sanitised HTML (nh3) - safe to render as it is.
    body = models.TextField()
    created = models.DateTimeField(auto_now_add=True)
    # Thread order: the ancestors' ids and its own, each zero-padded to 12 digits and joined
    # by "." ("." sorts before every digit in the C collation, so a reply's answers follow it
    # before its next sibling). Set right after the insert, when the id is known.
    path = models.CharField(max_length=120, db_collation="C", blank=True)
    depth = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["discussion", "path"], name="reply_thread_order_idx")]

    def __str__(self) -> str:
        return self.public_id


class Mention(models.Model):
    """A person named in a topic or a reply (picked by opaque id, shown by visible name)."""

    discussion = models.ForeignKey(Discussion, on_delete=models.CASCADE, related_name="+")
    reply = models.ForeignKey(
        Reply, null=True, blank=True, on_delete=models.CASCADE, related_name="mentions"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["discussion", "reply", "user"],
                name="mention_unique",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.discussion_id}"


class Follower(models.Model):
    """Someone told of each new reply (the author and repliers follow at once)."""

    discussion = models.ForeignKey(Discussion, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["discussion", "user"], name="discussion_follower_unique"
            )
        ]
        indexes = [models.Index(fields=["user"], name="discussion_follower_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.discussion_id}"
