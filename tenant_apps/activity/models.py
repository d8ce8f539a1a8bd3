"""Activities (who did what to which object, when), feeds, notifications and e-mail.

An ``Activity`` row is written by the domain service in the same transaction as the
change it describes (``activity_record``). After the commit a task fans it out: a
``FeedEntry`` for everyone whose feed it belongs in, and a ``Notification`` for everyone
it is addressed to. Feeds and notifications are filtered by the permission rule when
they are read, never when they are written: an item made private, unshared or deleted
since disappears at once from the feeds of those who may no longer see it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from config.ids import PUBLIC_ID_MAX_LENGTH, new_public_id


def new_activity_id() -> str:
    # Module-level functions, so that migrations can name them.
    return new_public_id("a")


def new_notification_id() -> str:
    return new_public_id("n")


class Verb(models.TextChoices):
    CONTENT_CREATED = "content.created", "added"
    CONTENT_VERSION = "content.version", "uploaded a new version of"
    CONTENT_UPDATED = "content.updated", "updated"
    CONTENT_EDITED = "content.edited", "edited"
    CONTENT_SHARED = "content.shared", "shared"
    CONTENT_COMMENTED = "content.commented", "commented on"
    GROUP_CREATED = "group.created", "created the group"
    GROUP_JOINED = "group.joined", "joined"
    GROUP_MEMBER_ADDED = "group.member_added", "added a member to"
    GROUP_ROLE_CHANGED = "group.role_changed", "changed a role in"
    GROUP_JOIN_REQUESTED = "group.join_requested", "asked to join"
    GROUP_INVITED = "group.invited", "invited someone to"
    CONNECTION_REQUESTED = "connection.requested", "asked to connect with"
    CONNECTION_ACCEPTED = "connection.accepted", "connected with"
    MESSAGE_SENT = "message.sent", "sent a message"
    FOLDER_CREATED = "folder.created", "created the folder"
    FOLDER_UPDATED = "folder.updated", "updated the folder"
    FOLDER_ITEMS_ADDED = "folder.items_added", "added items to"
    FOLDER_ITEMS_REMOVED = "folder.items_removed", "removed items from"
    FOLDER_SHARED = "folder.shared", "shared the folder"
    DISCUSSION_CREATED = "discussion.created", "started the discussion"
    DISCUSSION_REPLIED = "discussion.replied", "replied in"
    DISCUSSION_MENTIONED = "discussion.mentioned", "mentioned someone in"
    PERSON_FOLLOWED = "person.followed", "followed"


# What a person does that their followers see, in their feeds and on the person's page
# (still filtered, when read, by whether each viewer may see the item, group or
# discussion): never messages, requests, invitations, mentions or follows.
FOLLOWED_VERBS = frozenset(
    {
        Verb.CONTENT_CREATED,
        Verb.CONTENT_VERSION,
        Verb.CONTENT_COMMENTED,
        Verb.GROUP_CREATED,
        Verb.GROUP_JOINED,
        Verb.DISCUSSION_CREATED,
        Verb.DISCUSSION_REPLIED,
    }
)


class Category(models.TextChoices):
    """What a notification is about: each person chooses an e-mail frequency per category."""

    SHARES = "shares", _("Content shared with me")
    COMMENTS = "comments", _("Comments on my items and replies to my comments")
    MESSAGES = "messages", _("Messages")
    GROUPS = "groups", _("Join requests and invitations")
    CONNECTIONS = "connections", _("Connection requests and acceptances")
    DISCUSSIONS = "discussions", _("Replies in discussions I follow and mentions")


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately")
    DAILY = "daily", _("Daily digest")
    WEEKLY = "weekly", _("Weekly digest")
    NEVER = "never", _("Never")


class Activity(models.Model):
    public_id = models.CharField(
        max_length=PUBLIC_ID_MAX_LENGTH, unique=True, default=new_activity_id, editable=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    verb = models.CharField(max_length=32, choices=Verb.choices)
    # The object and the target: whichever apply. Deleting the object deletes its
    # activities (and, by cascade, their feed entries and notifications).
    item = models.ForeignKey(
        "content.ContentItem", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    comment = models.ForeignKey(
        "content.Comment", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    thread = models.ForeignKey(
        "messaging.Thread", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    folder = models.ForeignKey(
        "folders.Folder", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    discussion = models.ForeignKey(
        "discussions.Discussion",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # Small facts for the text (a role, a version number); never a name or an address.
    data = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    # False until the fan-out task has written its feed entries and notifications; the
    # sweep (activity.sweep) picks up any the broker lost.
    is_fanned_out = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["item", "-id"], name="activity_item_idx"),
            models.Index(fields=["group", "-id"], name="activity_group_idx"),
            models.Index(fields=["comment"], name="activity_comment_idx"),
            models.Index(fields=["person"], name="activity_person_idx"),
            models.Index(fields=["thread"], name="activity_thread_idx"),
            models.Index(fields=["folder", "-id"], name="activity_folder_idx"),
            models.Index(fields=["discussion"], name="activity_discussion_idx"),
            # A person's own activity (their public feed, for their followers), newest first.
            models.Index(fields=["actor", "-id"], name="activity_actor_idx"),
            models.Index(
                fields=["id"],
                name="activity_pending_idx",
                condition=models.Q(is_fanned_out=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.verb} ({self.public_id})"


class FeedEntry(models.Model):
    """An activity in one person's feed (written by the fan-out, after the commit)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            # Also the feed's index: one person's entries, newest activity first.
            models.UniqueConstraint(fields=["user", "activity"], name="feed_entry_unique"),
        ]
        indexes = [models.Index(fields=["activity"], name="feed_entry_activity_idx")]

    def __str__(self) -> str:
        return f"{self.activity_id} for {self.user_id}"


class EmailDelivery(models.Model):
    """One e-mail to one person; ``key`` makes sending idempotent (a retry finds it sent)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Handed to the mail server")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Gave up")
        SKIPPED = "skipped", _("Nothing left to send")

    key = models.CharField(max_length=100, unique=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Frequency.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["id"],
                name="email_delivery_pending_idx",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"


class Notification(models.Model):
    """An activity addressed to one person: unread until they read it."""

    public_id = models.CharField(
        max_length=PUBLIC_ID_MAX_LENGTH, unique=True, default=new_notification_id, editable=False
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=12, choices=Category.choices)
    is_read = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    # The recipient's e-mail frequency for the category when it was made; digests
    # collect those still without a delivery.
    email = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.NEVER)
    delivery = models.ForeignKey(
        EmailDelivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "activity"], name="notification_unique"),
        ]
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notification_list_idx"),
            models.Index(
                fields=["recipient"],
                name="notification_unread_idx",
                condition=models.Q(is_read=False),
            ),
            models.Index(
                fields=["email", "recipient"],
                name="notification_digest_idx",
                condition=models.Q(delivery__isnull=True) & ~models.Q(email="never"),
            ),
            models.Index(fields=["activity"], name="notification_activity_idx"),
            models.Index(fields=["delivery"], name="notification_delivery_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} to {self.recipient_id}"


class EmailPreference(models.Model):
    """A person's e-mail frequency for one category (a missing row means the default)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=12, choices=Category.choices)
    frequency = models.CharField(max_length=10, choices=Frequency.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "category"], name="email_preference_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.category}: {self.frequency}"


# Until a person chooses: messages at once, the rest in a daily digest.
DEFAULT_FREQUENCY = {
    Category.SHARES: Frequency.DAILY,
    Category.COMMENTS: Frequency.DAILY,
    Category.MESSAGES: Frequency.IMMEDIATE,
    Category.GROUPS: Frequency.DAILY,
    Category.CONNECTIONS: Frequency.DAILY,
    Category.DISCUSSIONS: Frequency.DAILY,
}
