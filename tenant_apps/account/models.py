"""A person's own account beyond their profile: sessions, exports, erasure, terms of use.

Everything here lives in the institution's schema, like the person it is about, so an
institution's export archive carries it and deleting the institution removes it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from config.ids import PUBLIC_ID_MAX_LENGTH, new_public_id


def new_session_id() -> str:
    return new_public_id("s")


def new_export_id() -> str:
    return new_public_id("x")


def new_erasure_id() -> str:
    return new_public_id("e")


class SessionRecord(models.Model):
    """One signed-in browser of a person: what they see under "Your sessions".

    Django's session row holds no user column; this one is written at sign-in
    (``user_logged_in``) so a person's sessions are one indexed read. Ending one
    deletes Django's session row and this one.
    """

    public_id = models.CharField(
        max_length=PUBLIC_ID_MAX_LENGTH, unique=True, default=new_session_id, editable=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_records"
    )
    session_key = models.CharField(max_length=40, unique=True)
    # The browser's own description (User-Agent), cut short; never the address.
    user_agent = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created", "-id"], name="session_record_user_idx")]

    def __str__(self) -> str:
        return self.public_id


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Being built")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


class DataExport(models.Model):
    """An archive of everything about one person, built in the background (Celery)."""

    public_id = models.CharField(
        max_length=PUBLIC_ID_MAX_LENGTH, unique=True, default=new_export_id, editable=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports"
    )
    # Who asked: the person, or one of the institution's admins for them.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=8, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    size = models.BigIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created", "-id"], name="data_export_user_idx")]

    def __str__(self) -> str:
        return self.public_id


class ContentPolicy(models.TextChoices):
    DELETE = "delete", _("Delete it")
    HANDOVER = "handover", _("Hand it to a named owner")


class PrivacySettings(models.Model):
    """The institution's erasure policy (one row; defaults when there is none)."""

    SINGLETON_PK = 1
    erasure_grace_days = models.PositiveSmallIntegerField(default=14)
    content_policy = models.CharField(
        max_length=8, choices=ContentPolicy.choices, default=ContentPolicy.DELETE
    )
    # With the hand-over policy: who receives the content nobody else manages.
    content_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return "privacy settings"


class ErasureStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", _("Cancelled")
    DONE = "done", _("Done")


class ErasureRequest(models.Model):
    """A request to erase a person, carried out when ``due`` has passed unless cancelled.

    After the erasure the row keeps only ids and dates: the person it points to is the
    account's anonymous remainder ("Former member").
    """

    public_id = models.CharField(
        max_length=PUBLIC_ID_MAX_LENGTH, unique=True, default=new_erasure_id, editable=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="erasure_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=9, choices=ErasureStatus.choices, default=ErasureStatus.SCHEDULED
    )
    created = models.DateTimeField(auto_now_add=True)
    due = models.DateTimeField()
    cancelled = models.DateTimeField(null=True, blank=True)
    done = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status="scheduled"),
                name="erasure_one_scheduled_per_person",
            )
        ]
        indexes = [
            models.Index(
                fields=["due"], name="erasure_due_idx", condition=models.Q(status="scheduled")
            )
        ]

    def __str__(self) -> str:
        return self.public_id


class TermsVersion(models.Model):
    """One published version of the institution's terms of use (never edited afterwards)."""

    number = models.PositiveIntegerField(unique=True)
    text = models.TextField(max_length=100_000)
    published = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"terms v{self.number}"


class TermsAcceptance(models.Model):
    """Who accepted which version, when."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="terms_acceptances"
    )
    version = models.ForeignKey(TermsVersion, on_delete=models.PROTECT, related_name="+")
    accepted = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="terms_acceptance_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} accepted {self.version_id}"
