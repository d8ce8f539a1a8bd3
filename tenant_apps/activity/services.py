"""Writes of the activity app: recording an activity, reading notifications, e-mail settings.

``activity_record`` is the one call a domain service makes, inside its own transaction:
the activity rows commit or roll back with the change they describe. The fan-out
(feed entries, notifications, live pushes, immediate e-mail) is queued after the commit
(tenant_apps.activity.fanout); a sweep re-queues whatever a lost broker message left.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from config.celery import app as celery_app
from tenant_apps.activity.counts import unread_cache_forget, unread_cache_forget_all
from tenant_apps.activity.live import push_to_users
from tenant_apps.activity.models import (
    DEFAULT_FREQUENCY,
    Activity,
    Category,
    EmailPreference,
    Frequency,
    Notification,
    Verb,
)
from tenant_apps.people.models import User


def _queue_fanout(activity_ids: list[int]) -> None:
    # By name: this module is imported by every feature's services and must not import
    # the fan-out (which reads those features). robust: a broker outage must not fail
    # the change that already committed; the sweep fans the activities out later.
    transaction.on_commit(
        lambda: celery_app.send_task("activity.fanout", kwargs={"activity_ids": activity_ids}),
        robust=True,
    )


def activity_record(
    *,
    actor: User | None,
    verb: str,
    item=None,
    comment=None,
    group=None,
    person: User | None = None,
    thread=None,
    folder=None,
    discussion=None,
    targets: Iterable = (),
    reply_to=None,
    data: dict | None = None,
) -> list[Activity]:
    """Record that ``actor`` did ``verb`` to an object, in the caller's transaction.

    ``targets`` (people and groups) records one activity per target (sharing with
    three people is three activities, which the feed aggregates when read); ``reply_to``
    (a comment) has its author notified. The fan-out
    is queued for after the commit. Returns the rows written.
    """
    if verb not in Verb.values:
        raise ValueError(f"unknown verb {verb!r}")
    base = {
        "actor": actor if getattr(actor, "is_authenticated", False) else None,
        "verb": verb,
        "item": item if item is not None or comment is None else comment.item,
        "comment": comment,
        "group": group,
        "person": person,
        "thread": thread,
        "folder": folder,
        "discussion": discussion,
        "data": {**(data or {}), **({"parent_author": reply_to.author_id} if reply_to else {})},
    }
    rows = []
    for target in targets or [None]:
        fields = dict(base)
        if target is not None and target._meta.label == "groups.Group":
            fields["group"] = target
        elif target is not None:
            fields["person"] = target
        rows.append(Activity(**fields))
    rows = Activity.objects.bulk_create(rows)
    if verb == Verb.CONTENT_UPDATED:
        activity_access_changed()  # its visibility may have changed
    _queue_fanout([row.pk for row in rows])
    return rows


def activities_held_for_delete(condition: Q) -> None:
    """Lock the activities about to be deleted with what they are about (inside the
    deleting transaction, before the delete). The fan-out locks an activity the same way
    while it writes its feed entries: it skips these now, and entries it wrote just before
    are seen by the delete's cascade - without the lock a concurrent fan-out could add an
    entry the cascade never saw, and the delete failed on the foreign key at commit."""
    list(
        Activity.objects.select_for_update(of=("self",))
        .filter(condition)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def activity_access_changed() -> None:
    """Say that what people may see has changed (an item unshared, deleted or made private,
    someone leaving a group): cached unread counts are recomputed. Feeds and lists need
    nothing: they apply the permission rule whenever they are read."""
    unread_cache_forget_all()
    transaction.on_commit(unread_cache_forget_all, robust=True)


# --- notifications ----------------------------------------------------------------
def _unread_changed(user_id: int) -> None:
    # Forgotten now (this transaction's own reads) and again after the commit (a read
    # between the two may have cached the count from before it).
    unread_cache_forget(user_id)

    def after() -> None:
        unread_cache_forget(user_id)
        push_to_users([user_id], kind="notifications")

    transaction.on_commit(after, robust=True)


@transaction.atomic
def notifications_mark_read(*, actor: User, public_ids: list[str] | None = None) -> int:
    """Mark the given notifications of ``actor`` read (all of them with ``public_ids=None``).

    Another person's ids are ignored like unknown ones (nothing reveals they exist).
    Returns how many changed.
    """
    rows = Notification.objects.filter(recipient=actor, is_read=False)
    if public_ids is not None:
        rows = rows.filter(public_id__in=public_ids)
    changed = rows.update(is_read=True)
    if changed:
        _unread_changed(actor.pk)
    return changed


# --- e-mail preferences -------------------------------------------------------------
def email_preferences(user: User) -> dict[str, str]:
    """Every category with ``user``'s frequency (the default where they chose none)."""
    chosen = dict(EmailPreference.objects.filter(user=user).values_list("category", "frequency"))
    return {c: chosen.get(c, str(DEFAULT_FREQUENCY[c])) for c in Category.values}


@transaction.atomic
def email_preferences_update(*, actor: User, changes: dict[str, str]) -> dict[str, str]:
    """Set ``actor``'s frequency per category. ValidationError naming a bad category or value.

    Choosing "never" also drops that category's notifications still waiting for a digest.
    """
    errors = {}
    for category, frequency in changes.items():
        if category not in Category.values:
            errors[category] = [f"Not a category; choose from {', '.join(Category.values)}."]
        elif frequency not in Frequency.values:
            errors[category] = [f"Choose one of: {', '.join(Frequency.values)}."]
    if errors:
        raise ValidationError(errors)
    for category, frequency in changes.items():
        EmailPreference.objects.update_or_create(
            user=actor, category=category, defaults={"frequency": frequency}
        )
        if frequency == Frequency.NEVER:
            Notification.objects.filter(
                recipient=actor, category=category, delivery__isnull=True
            ).exclude(email=Frequency.NEVER).update(email=Frequency.NEVER)
    return email_preferences(actor)
