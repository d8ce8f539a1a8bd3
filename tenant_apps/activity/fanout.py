"""The fan-out of an activity, after its commit: feed entries, notifications, pushes, e-mail.

Fan-out on write, off the request: the service that made the change wrote one
``Activity`` row in its transaction and queued this; here one transaction per activity
writes a ``FeedEntry`` for each person whose feed it belongs in and a ``Notification``
for each person it is addressed to, then marks the activity done. A task that runs
twice finds it done (the row is locked and checked), so nothing is written twice.

Who sees what is decided again when a feed is read (tenant_apps.activity.selectors):
the audience written here is who *might* see it, never a grant.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from config.celery import app as celery_app
from tenant_apps.activity.counts import unread_cache_forget_many
from tenant_apps.activity.live import push_to_users
from tenant_apps.activity.models import (
    DEFAULT_FREQUENCY,
    FOLLOWED_VERBS,
    Activity,
    Category,
    EmailDelivery,
    EmailPreference,
    FeedEntry,
    Frequency,
    Notification,
    Verb,
)

BATCH = 2000
# Feed nudges go to at most this many people per activity: past it, every open page of a
# huge group reloading its feed at once would cost more than it gives (they see it on the
# next page view or poll). Notifications are always pushed.
FEED_PUSH_MAX = 1000


def _connections_of(user_id: int) -> set[int]:
    from tenant_apps.connections.models import Connection, ConnectionStatus

    rows = Connection.objects.filter(
        Q(inviter_id=user_id) | Q(invitee_id=user_id), status=ConnectionStatus.ACCEPTED
    ).values_list("inviter_id", "invitee_id")
    return {a if b == user_id else b for a, b in rows}


def _members(group_id: int, *, managers_only: bool = False) -> set[int]:
    from tenant_apps.groups.models import GroupMembership, Role

    rows = GroupMembership.objects.filter(group_id=group_id, user__is_active=True)
    if managers_only:
        rows = rows.filter(role=Role.MANAGER)
    return set(rows.values_list("user_id", flat=True))


def _item_audience(item_id: int) -> set[int]:
    """Everyone an item is shared with, directly or through a group."""
    from tenant_apps.content.models import Share
    from tenant_apps.groups.models import GroupMembership

    direct = Share.objects.filter(item_id=item_id, user__isnull=False).values_list(
        "user_id", flat=True
    )
    via_groups = GroupMembership.objects.filter(group__content_shares__item_id=item_id).values_list(
        "user_id", flat=True
    )
    return set(direct) | set(via_groups)


def _folder_audience(folder_id: int) -> set[int]:
    """Everyone a folder is shared with, directly or through a group."""
    from tenant_apps.folders.models import FolderShare
    from tenant_apps.groups.models import GroupMembership

    direct = FolderShare.objects.filter(folder_id=folder_id, user__isnull=False).values_list(
        "user_id", flat=True
    )
    via_groups = GroupMembership.objects.filter(group__folder_shares__folder_id=folder_id)
    return set(direct) | set(via_groups.values_list("user_id", flat=True))


def _item_managers(item_id: int) -> set[int]:
    from tenant_apps.content.models import Share, ShareRole

    return set(
        Share.objects.filter(
            item_id=item_id, user__isnull=False, role=ShareRole.MANAGER
        ).values_list("user_id", flat=True)
    )


def _thread_recipients(thread_id: int, sender_id: int | None) -> set[int]:
    from tenant_apps.connections.models import Block
    from tenant_apps.messaging.models import ThreadState

    states = ThreadState.objects.filter(thread_id=thread_id).exclude(
        user_id__in=Block.objects.filter(blocked_id=sender_id).values("blocker_id")
    )
    return set(states.values_list("user_id", flat=True))


def _discussion_followers(discussion_id: int) -> set[int]:
    from tenant_apps.discussions.selectors import follower_ids

    return follower_ids(discussion_id)


def _followers_of(user_id: int) -> set[int]:
    from tenant_apps.connections.selectors import follower_ids_of

    return follower_ids_of(user_id)


NOT_IN_CONNECTIONS_FEEDS = frozenset(
    {
        Verb.MESSAGE_SENT,
        Verb.CONNECTION_REQUESTED,
        Verb.DISCUSSION_MENTIONED,
        Verb.PERSON_FOLLOWED,
    }
)


def audience(activity: Activity) -> tuple[set[int], dict[int, str]]:
    """Who gets the activity in their feed, and who is notified (with the category)."""
    verb = activity.verb
    actor = activity.actor_id
    feed: set[int] = set()
    notify: dict[int, str] = {}
    if verb not in NOT_IN_CONNECTIONS_FEEDS and actor:
        feed |= {actor} | _connections_of(actor)
    if verb in FOLLOWED_VERBS and actor:
        feed |= _followers_of(actor)
    if verb.startswith("content.") and activity.item_id:
        feed |= _item_audience(activity.item_id)
    if verb.startswith("group.") and activity.group_id:
        feed |= _members(activity.group_id)
    if verb.startswith("folder.") and activity.folder_id:
        feed |= _folder_audience(activity.folder_id)
    if verb in (Verb.DISCUSSION_CREATED, Verb.DISCUSSION_REPLIED) and activity.discussion_id:
        feed |= _discussion_followers(activity.discussion_id)
        if verb == Verb.DISCUSSION_CREATED and activity.group_id:
            feed |= _members(activity.group_id)

    if verb in (Verb.CONTENT_SHARED, Verb.FOLDER_SHARED):
        if activity.person_id:
            notify[activity.person_id] = Category.SHARES
        elif activity.group_id:
            notify.update(dict.fromkeys(_members(activity.group_id), Category.SHARES))
    elif verb == Verb.CONTENT_COMMENTED and activity.item_id:
        notify.update(dict.fromkeys(_item_managers(activity.item_id), Category.COMMENTS))
        parent_author = (activity.data or {}).get("parent_author")
        if parent_author:
            notify[parent_author] = Category.COMMENTS
    elif verb == Verb.GROUP_JOIN_REQUESTED and activity.group_id:
        notify.update(
            dict.fromkeys(_members(activity.group_id, managers_only=True), Category.GROUPS)
        )
    elif verb in (Verb.GROUP_INVITED, Verb.GROUP_MEMBER_ADDED) and activity.person_id:
        notify[activity.person_id] = Category.GROUPS
    elif verb in (Verb.CONNECTION_REQUESTED, Verb.CONNECTION_ACCEPTED) and activity.person_id:
        notify[activity.person_id] = Category.CONNECTIONS
        if verb == Verb.CONNECTION_ACCEPTED:
            feed |= {activity.person_id} | _connections_of(activity.person_id)
    elif verb == Verb.DISCUSSION_REPLIED and activity.discussion_id:
        notify.update(
            dict.fromkeys(_discussion_followers(activity.discussion_id), Category.DISCUSSIONS)
        )
    elif verb == Verb.DISCUSSION_MENTIONED and activity.person_id:
        notify[activity.person_id] = Category.DISCUSSIONS
    elif verb == Verb.PERSON_FOLLOWED and activity.person_id:
        notify[activity.person_id] = Category.CONNECTIONS
    elif verb == Verb.MESSAGE_SENT and activity.thread_id:
        notify.update(
            dict.fromkeys(_thread_recipients(activity.thread_id, actor), Category.MESSAGES)
        )
    notify.pop(actor, None)
    return feed, notify


def _active(user_ids: set[int]) -> set[int]:
    from tenant_apps.people.models import User

    if not user_ids:
        return set()
    return set(
        User.objects.filter(pk__in=list(user_ids), is_active=True).values_list("pk", flat=True)
    )


def _frequencies(user_ids: list[int], categories: set[str]) -> dict[tuple[int, str], str]:
    chosen = EmailPreference.objects.filter(
        user_id__in=user_ids, category__in=list(categories)
    ).values_list("user_id", "category", "frequency")
    return {(u, c): f for u, c, f in chosen}


def activity_fan_out(activity_id: int) -> tuple[int, int] | None:
    """Fan one activity out (in the current schema). Returns (feed entries, notifications)
    written, or None when it was already done (or is being done by another worker)."""
    with transaction.atomic():
        activity = (
            Activity.objects.select_for_update(skip_locked=True)
            .filter(pk=activity_id, is_fanned_out=False)
            .first()
        )
        if activity is None:
            return None
        feed, notify = audience(activity)
        active = _active(feed | set(notify))
        feed &= active
        notify = {user: category for user, category in notify.items() if user in active}
        FeedEntry.objects.bulk_create(
            [FeedEntry(user_id=user, activity_id=activity.pk) for user in sorted(feed)],
            batch_size=BATCH,
            ignore_conflicts=True,
        )
        immediate = _notify(activity, notify)
        activity.is_fanned_out = True
        activity.save(update_fields=["is_fanned_out"])
        _after_commit(feed, set(notify), immediate)
    return len(feed), len(notify)


def _notify(activity: Activity, notify: dict[int, str]) -> list[int]:
    """Write the notifications; returns the ids of the e-mails to send at once."""
    if not notify:
        return []
    chosen = _frequencies(list(notify), set(notify.values()))
    rows = []
    deliveries = []
    for user, category in sorted(notify.items()):
        frequency = chosen.get((user, category), str(DEFAULT_FREQUENCY[category]))
        row = Notification(recipient_id=user, activity=activity, category=category, email=frequency)
        if frequency == Frequency.IMMEDIATE:
            delivery = EmailDelivery(
                key=f"n:{activity.public_id}:{user}", recipient_id=user, kind=frequency
            )
            deliveries.append(delivery)
            row.delivery = delivery
        rows.append(row)
    EmailDelivery.objects.bulk_create(deliveries, batch_size=BATCH)
    for row in rows:
        if row.delivery is not None:
            row.delivery_id = row.delivery.pk
    Notification.objects.bulk_create(rows, batch_size=BATCH)
    return [d.pk for d in deliveries]


def _after_commit(feed: set[int], notified: set[int], deliveries: list[int]) -> None:
    feed_only = sorted(feed - notified) if len(feed) <= FEED_PUSH_MAX else []
    notified_sorted = sorted(notified)
    unread_cache_forget_many(notified_sorted)  # and again after the commit, see services

    def after() -> None:
        unread_cache_forget_many(notified_sorted)
        push_to_users(notified_sorted, kind="notifications")
        push_to_users(feed_only, kind="feed")

    transaction.on_commit(after, robust=True)
    if deliveries:
        transaction.on_commit(
            lambda: celery_app.send_task(
                "activity.email_deliver_many", kwargs={"delivery_ids": deliveries}
            ),
            robust=True,
        )


def fan_out_pending(*, older_than_seconds: float = 0, limit: int = 1000) -> int:
    """Fan out activities still pending (the sweep); returns how many it did."""
    from datetime import timedelta

    from django.utils import timezone

    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        Activity.objects.filter(is_fanned_out=False, created__lte=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    done = 0
    for activity_id in ids:
        if activity_fan_out(activity_id) is not None:
            done += 1
    return done
