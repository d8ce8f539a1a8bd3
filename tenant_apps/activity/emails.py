"""E-mail about notifications: at once, or in a daily or weekly digest, never twice.

Each e-mail is an ``EmailDelivery`` row with a unique key (``n:<activity>:<person>`` for
an immediate one, ``daily:<date>:<person>`` for a digest) to one person only. Sending
claims the row (pending -> sending) in a committed transaction before talking to the
mail server, and marks it sent after: a retried or duplicated task finds it claimed or
sent and sends nothing. A refused or failed SMTP conversation puts it back to pending
(retried with back-off up to ``ACTIVITY_EMAIL_ATTEMPTS``); a worker that dies in the
middle of one leaves it "sending", which is reported and never resent (at most once).

Nothing is sent to deactivated people or about what the recipient may no longer see.
Every e-mail carries ``List-Unsubscribe`` with one-click unsubscription (RFC 8058).
"""

from __future__ import annotations

import logging
import smtplib
from datetime import date, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import ngettext

from config.locale import person_locale
from tenant_apps.activity.models import (
    Category,
    EmailDelivery,
    Frequency,
    Notification,
)
from tenant_apps.activity.selectors import entry_data, notification_entry, visible_q
from tenant_apps.people.models import User

log = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "activity.unsubscribe"
MAX_ENTRIES = 50


class DeliveryFailed(Exception):
    """The mail server refused or failed; the delivery is pending again (or failed for good)."""


def base_url() -> str:
    slug = getattr(connection.tenant, "slug", None) or connection.schema_name
    return (
        f"{settings.PLATFORM_URL_SCHEME}://{slug}.{settings.PLATFORM_DOMAIN}"
        f"{settings.PLATFORM_URL_PORT}"
    )


def unsubscribe_token(user: User, categories: list[str]) -> str:
    """A signed token naming the person, the institution and the categories to stop."""
    return signing.dumps(
        {"s": connection.schema_name, "u": user.public_id, "c": sorted(categories)},
        salt=UNSUBSCRIBE_SALT,
        compress=True,
    )


def unsubscribe_read(token: str) -> tuple[User, list[str]] | None:
    """The person and categories of a token made for this institution, or None."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("s") != connection.schema_name:
        return None
    categories = [c for c in data.get("c", []) if c in Category.values]
    user = User.objects.filter(public_id=data.get("u")).first()
    if user is None or not categories:
        return None
    return user, categories


@transaction.atomic
def unsubscribe(*, user: User, categories: list[str]) -> None:
    """Stop e-mail for ``categories`` (the one-click link's action)."""
    from tenant_apps.activity.services import email_preferences_update

    email_preferences_update(actor=user, changes=dict.fromkeys(categories, Frequency.NEVER))


def _claim(delivery_id: int) -> tuple[EmailDelivery, list[Notification]] | None:
    """Take a pending delivery for sending; None if there is nothing (left) to send."""
    with transaction.atomic():
        delivery = (
            EmailDelivery.objects.select_for_update(skip_locked=True)
            .select_related("recipient")
            .filter(pk=delivery_id, status=EmailDelivery.Status.PENDING)
            .first()
        )
        if delivery is None:
            return None
        recipient = delivery.recipient
        notifications = []
        if recipient.is_active and recipient.email:
            notifications = list(
                Notification.objects.filter(delivery=delivery)
                .filter(visible_q(recipient, "activity__"))
                .exclude(email=Frequency.NEVER)
                .select_related(
                    *(
                        f"activity__{n}"
                        for n in ("actor", "item", "group", "person", "thread", "discussion")
                    )
                )
                .order_by("-id")[:MAX_ENTRIES]
            )
        if not notifications:
            delivery.status = EmailDelivery.Status.SKIPPED
            delivery.save(update_fields=["status"])
            return None
        delivery.status = EmailDelivery.Status.SENDING
        delivery.attempts += 1
        delivery.save(update_fields=["status", "attempts"])
    return delivery, notifications


def build_message(delivery: EmailDelivery, notifications: list[Notification]):
    """The e-mail (text and HTML, in the institution's colours) for one recipient, in
    the recipient's language and time zone (not the actor's)."""
    with person_locale(delivery.recipient):
        return _build_message(delivery, notifications)


def _build_message(delivery: EmailDelivery, notifications: list[Notification]):
    from tenant_apps.institution.selectors import institution_profile

    recipient = delivery.recipient
    profile = institution_profile()
    root = base_url()
    entries = []
    for notification in notifications:
        data = entry_data(recipient, notification_entry(notification))
        entries.append({**data, "absolute_url": f"{root}{data['url']}"})
    categories = sorted({n.category for n in notifications})
    token = unsubscribe_token(recipient, categories)
    unsubscribe_url = f"{root}/notifications/unsubscribe/{token}"
    context = {
        "institution": profile,
        "brand_colour": profile.primary_colour,
        "entries": entries,
        "is_digest": delivery.kind != Frequency.IMMEDIATE,
        "kind": delivery.kind,
        "preferences_url": f"{root}/notifications/preferences",
        "notifications_url": f"{root}/notifications/",
        "unsubscribe_url": unsubscribe_url,
        "categories": [str(Category(c).label) for c in categories],
    }
    if delivery.kind == Frequency.IMMEDIATE:
        subject = entries[0]["summary"]
    else:
        count = len(entries)
        if delivery.kind == Frequency.DAILY:
            subject = ngettext(
                "Your daily summary: %(count)d update",
                "Your daily summary: %(count)d updates",
                count,
            ) % {"count": count}
        else:
            subject = ngettext(
                "Your weekly summary: %(count)d update",
                "Your weekly summary: %(count)d updates",
                count,
            ) % {"count": count}
    subject = f"[{profile.name}] {subject}"[:200]
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("activity/email/notifications.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "Message-ID": f"<{delivery.key.replace(':', '.')}.{connection.schema_name}"
            f"@{settings.PLATFORM_DOMAIN}>",
        },
    )
    message.attach_alternative(
        render_to_string("activity/email/notifications.html", context), "text/html"
    )
    return message


def email_deliver(delivery_id: int) -> str:
    """Send one delivery if it is still pending. Returns what happened; DeliveryFailed when
    the mail server failed (the row is pending again, or failed after the last attempt)."""
    claimed = _claim(delivery_id)
    if claimed is None:
        return "nothing"
    delivery, notifications = claimed
    try:
        build_message(delivery, notifications).send()
    except (smtplib.SMTPException, OSError) as error:
        give_up = delivery.attempts >= settings.ACTIVITY_EMAIL_ATTEMPTS
        EmailDelivery.objects.filter(pk=delivery.pk).update(
            status=EmailDelivery.Status.FAILED if give_up else EmailDelivery.Status.PENDING,
            last_error=str(error)[:500],
        )
        raise DeliveryFailed(str(error)) from error
    EmailDelivery.objects.filter(pk=delivery.pk).update(
        status=EmailDelivery.Status.SENT, sent_at=timezone.now()
    )
    return "sent"


def _period(frequency: str, today: date) -> str:
    if frequency == Frequency.DAILY:
        return today.isoformat()
    year, week, _ = today.isocalendar()
    return f"{year}-w{week:02d}"


def digests_prepare(*, frequency: str, today: date | None = None) -> list[int]:
    """Gather each person's notifications waiting for a ``frequency`` digest into one delivery
    per person and period (idempotent: a second run in the same period adds nothing to a
    digest already sent, and makes no second one). Returns the deliveries to send."""
    if frequency not in (Frequency.DAILY, Frequency.WEEKLY):
        raise ValueError(frequency)
    period = _period(frequency, today or timezone.localdate())
    waiting = Notification.objects.filter(email=frequency, delivery__isnull=True)
    recipients = list(
        waiting.filter(recipient__is_active=True)
        .values_list("recipient_id", flat=True)
        .distinct()
        .order_by("recipient_id")
    )
    deliveries = []
    for recipient_id in recipients:
        with transaction.atomic():
            delivery, _created = EmailDelivery.objects.get_or_create(
                key=f"{frequency}:{period}:{recipient_id}",
                defaults={"recipient_id": recipient_id, "kind": frequency},
            )
            if delivery.status != EmailDelivery.Status.PENDING:
                continue  # this period's digest is out; the rest waits for the next one
            waiting.filter(recipient_id=recipient_id).update(delivery=delivery)
            deliveries.append(delivery.pk)
    return deliveries


def deliveries_pending(*, older_than_seconds: float = 60, limit: int = 500) -> list[int]:
    """Pending deliveries whose task was lost (the sweep sends them)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        EmailDelivery.objects.filter(status=EmailDelivery.Status.PENDING, created__lte=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
