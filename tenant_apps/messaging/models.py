"""Message threads between people of one institution.

Each participant has their own ``ThreadState`` row: which folder the thread is in for them,
whether it is unread, when it last changed. Inbox, sent, archive and trash are keyset pages
over one participant's rows through an index, and the unread count is a count over one
participant's unread rows: neither grows with the number of messages in the institution.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from config.ids import PUBLIC_ID_MAX_LENGTH, new_public_id


def new_thread_id() -> str:
    # Module-level functions, so that migrations can name them.
    return new_public_id("t")


def new_message_id() -> str:
    return new_public_id("m")


class Thread(models.Model):
    public_id = models.CharField(
        max_length=PUBLIC_ID_MAX_LENGTH, unique=True, default=new_thread_id, editable=False
    )
    subject = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField()
    # Search (tenant_apps.search): the subject, kept by a trigger.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        indexes = [GinIndex(fields=["search_vector"], name="thread_search_idx")]

    def __str__(self) -> str:
        return self.subject


class Message(models.Model):
    public_id = models.CharField(
        max_length=PUBLIC_ID_MAX_LENGTH, unique=True, default=new_message_id, editable=False
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Sanitised HTML (nh3) - safe to render as it is.
    body = models.TextField()
    created = models.DateTimeField()
    # Search (tenant_apps.search): the body's text, kept by a trigger.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["thread", "id"], name="message_thread_page_idx"),
            GinIndex(fields=["search_vector"], name="message_search_idx"),
        ]

    def __str__(self) -> str:
        return self.public_id


class Folder(models.TextChoices):
    INBOX = "inbox", _("Inbox")
    ARCHIVE = "archive", _("Archive")
    TRASH = "trash", _("Trash")
    # Deleted for this participant only; a later message brings the thread back.
    DELETED = "deleted", _("Deleted")


class ThreadState(models.Model):
    """One participant's view of a thread."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="states")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thread_states"
    )
    folder = models.CharField(max_length=8, choices=Folder.choices, default=Folder.INBOX)
    is_unread = models.BooleanField(default=False)
    last_message_at = models.DateTimeField()
    # The participant's own latest message (the "sent" folder), null when they sent none.
    last_sent_at = models.DateTimeField(null=True, blank=True)
    # Messages up to this moment are deleted for this participant.
    hidden_before = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "user"], name="thread_state_unique"),
        ]
        indexes = [
            # Inbox, archive, trash: one participant's folder, newest first, keyset pages.
            models.Index(
                "user",
                "folder",
                models.F("last_message_at").desc(),
                models.F("id").desc(),
                name="thread_state_folder_idx",
            ),
            # Sent: threads the participant wrote in, by their own latest message.
            models.Index(
                "user",
                models.F("last_sent_at").desc(),
                models.F("id").desc(),
                name="thread_state_sent_idx",
                condition=models.Q(last_sent_at__isnull=False),
            ),
            # The unread count: only unread rows are in it.
            models.Index(
                fields=["user", "folder"],
                name="thread_state_unread_idx",
                condition=models.Q(is_unread=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.thread_id} ({self.folder})"
