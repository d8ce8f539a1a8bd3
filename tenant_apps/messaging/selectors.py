"""Reads about message threads: one participant's folders, unread counts, a thread's messages.

Every read starts from the participant's own ``ThreadState`` rows, so a thread one is not in
is not found (404), and a page costs the same however many messages the institution holds.
"""

from __future__ import annotations

from django.db.models import Count, QuerySet

from config.db.shapes import shapes
from config.keyset import page_after
from tenant_apps.connections.models import Block
from tenant_apps.messaging.models import Folder, Message, ThreadState
from tenant_apps.people.models import User

FOLDERS = ("inbox", "sent", "archive", "trash")


def folder_threads(*, user: User, folder: str) -> QuerySet[ThreadState]:
    """``user``'s threads in ``folder`` (inbox, sent, archive, trash), newest first.

    Ordered by a unique key for keyset pages: (last_message_at, id) descending, or for
    "sent" (last_sent_at, id) descending - the two orders the folder indexes hold.
    """
    states = ThreadState.objects.filter(user=user).select_related("thread")
    if folder == "sent":
        return (
            states.filter(last_sent_at__isnull=False)
            .exclude(folder=Folder.DELETED)
            .order_by("-last_sent_at", "-id")
        )
    if folder not in FOLDERS:
        raise ValueError(folder)
    return states.filter(folder=folder).order_by("-last_message_at", "-id")


def folder_ordering(folder: str) -> tuple[str, str]:
    return ("-last_sent_at", "-id") if folder == "sent" else ("-last_message_at", "-id")


def unread_counts(user: User) -> dict[str, int]:
    """Unread threads per folder (inbox, archive, trash): one query over unread rows only."""
    counts = dict.fromkeys(("inbox", "archive", "trash"), 0)

    def build(who) -> QuerySet:
        return (
            ThreadState.objects.filter(user=who, is_unread=True)
            .exclude(folder=Folder.DELETED)
            .values("folder")
            .annotate(n=Count("id"))
            .order_by()
        )

    # The same query for everyone but their id: its SQL is learned once per process.
    for row in shapes.rows("unread-counts", user, build):
        counts[row["folder"]] = row["n"]
    return counts


def thread_messages(state: ThreadState) -> QuerySet[Message]:
    """The messages of the thread ``state``'s participant may read, oldest first: none from
    before they deleted it, none from people they have blocked."""
    messages = Message.objects.filter(thread_id=state.thread_id).select_related("sender")
    if state.hidden_before is not None:
        messages = messages.filter(created__gt=state.hidden_before)
    blocked = Block.objects.filter(blocker_id=state.user_id).values("blocked_id")
    return messages.exclude(sender_id__in=blocked).order_by("id")


def thread_participants(state: ThreadState) -> QuerySet[ThreadState]:
    return (
        ThreadState.objects.filter(thread_id=state.thread_id).select_related("user").order_by("id")
    )


def thread_participant_count(state: ThreadState) -> int:
    return ThreadState.objects.filter(thread_id=state.thread_id).count()


def message_page(
    messages: QuerySet[Message], *, after: str | None, size: int
) -> tuple[list[Message], str | None]:
    """One keyset page of ``messages`` (by id) after the message ``after`` (a public id)."""
    return page_after(messages, order=("id",), after=after, size=size)


def thread_page(
    states: QuerySet[ThreadState], *, folder: str, after: str | None, size: int
) -> tuple[list[ThreadState], str | None]:
    """One keyset page of a folder after the thread ``after`` (a public id), in the order
    the folder's index holds: the same cost on the first page and the thousandth."""
    return page_after(
        states,
        order=folder_ordering(folder),
        after=after,
        size=size,
        anchor="thread__public_id",
    )
