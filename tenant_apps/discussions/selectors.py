"""Reads about discussions, with their one visibility rule written once, in SQL.

Someone may **see** a topic when it is public (and so is its group, if it has one); or they
are signed in and it is visible to signed-in members, or they are one of its members, or
one of its group's members - and, for a topic within a group, only while they may see the
group. They may **manage** it (edit, delete, add and remove members) as one of its
managers or one of its group's managers. Every signed-in person who may see a topic may
reply to it. Lists, the door, the activity feeds and search all use ``can_view_q``.
"""

from __future__ import annotations

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value

from config.keyset import page_after
from tenant_apps.discussions.models import (
    Discussion,
    DiscussionMember,
    DiscussionRole,
    Follower,
    Mention,
    Reply,
)
from tenant_apps.groups.models import Group, GroupMembership, Role
from tenant_apps.groups.selectors import groups_visible_to
from tenant_apps.people.models import User, Visibility

ORDER = ("-last_activity_at", "-id")


def _signed_in(viewer) -> bool:
    return bool(getattr(viewer, "is_authenticated", False) and viewer.is_active)


def can_view_q(viewer) -> Q:
    """The condition on Discussion rows ``viewer`` may see (other apps' rows pointing at a
    topic filter with ``Exists(Discussion.objects.filter(can_view_q(viewer)), pk=...)``)."""
    if not _signed_in(viewer):
        return Q(visibility=Visibility.PUBLIC) & (
            Q(group__isnull=True) | Q(group__visibility=Visibility.PUBLIC)
        )
    member = DiscussionMember.objects.filter(discussion=OuterRef("pk"), user=viewer)
    group_member = GroupMembership.objects.filter(group=OuterRef("group_id"), user=viewer)
    group_visible = Q(group__isnull=True) | Q(
        Exists(groups_visible_to(viewer).filter(pk=OuterRef("group_id")))
    )
    return (
        Q(visibility__in=(Visibility.PUBLIC, Visibility.LOGGEDIN))
        | Q(Exists(member))
        | Q(Exists(group_member))
    ) & group_visible


def can_manage_q(viewer) -> Q:
    """The condition on Discussion rows ``viewer`` may edit, delete and give members."""
    if not _signed_in(viewer):
        return Q(pk__in=[])
    manager = DiscussionMember.objects.filter(
        discussion=OuterRef("pk"), user=viewer, role=DiscussionRole.MANAGER
    )
    group_manager = GroupMembership.objects.filter(
        group=OuterRef("group_id"), user=viewer, role=Role.MANAGER
    )
    return Q(Exists(manager)) | Q(Exists(group_manager))


def discussions_visible_to(viewer) -> QuerySet[Discussion]:
    """Every topic ``viewer`` may see, annotated with ``viewer_can_manage`` and
    ``viewer_follows``."""
    rows = Discussion.objects.filter(can_view_q(viewer))
    if not _signed_in(viewer):
        return rows.annotate(viewer_can_manage=Value(False), viewer_follows=Value(False))
    follows = Follower.objects.filter(discussion=OuterRef("pk"), user=viewer)
    return rows.annotate(
        viewer_can_manage=ExpressionWrapper(can_manage_q(viewer), output_field=BooleanField()),
        viewer_follows=Exists(follows),
    )


def discussion_list(*, viewer, group: Group | None = None) -> QuerySet[Discussion]:
    """Topics ``viewer`` may see (within ``group`` when given), liveliest first, by a unique
    key (keyset pages). Whether ``viewer`` may see ``group`` is the caller's door."""
    rows = discussions_visible_to(viewer)
    if group is not None:
        rows = rows.filter(group=group)
    return rows.select_related("created_by", "group").order_by(*ORDER)


def discussion_page(
    rows: QuerySet[Discussion], *, after: str | None, size: int
) -> tuple[list[Discussion], str | None]:
    """One keyset page of topics after the topic ``after`` (a public id)."""
    return page_after(rows, order=ORDER, after=after, size=size)


def discussion_replies(discussion: Discussion) -> QuerySet[Reply]:
    """A topic's replies in thread order (each reply followed by its answers), with their
    authors and the people they mention: three queries a page, whatever its length."""
    return (
        Reply.objects.filter(discussion=discussion)
        .select_related("author", "parent__author")
        .prefetch_related("mentions__user")
        .order_by("path")
    )


def reply_page(
    discussion: Discussion, *, after: str | None, size: int
) -> tuple[list[Reply], str | None]:
    """One keyset page of a topic's replies in thread order, after the reply ``after``."""
    return page_after(discussion_replies(discussion), order=("path",), after=after, size=size)


def topic_mentions(discussion: Discussion) -> list[User]:
    """The people the topic's own text mentions."""
    rows = Mention.objects.filter(discussion=discussion, reply__isnull=True).select_related("user")
    return [row.user for row in rows.order_by("id")]


def discussion_members(discussion: Discussion) -> QuerySet[DiscussionMember]:
    """Active members in the order they were added (a unique key, for keyset pages)."""
    return (
        DiscussionMember.objects.filter(discussion=discussion, user__is_active=True)
        .select_related("user")
        .order_by("id")
    )


def follower_ids(discussion_id: int) -> set[int]:
    """The people told of the topic's replies (the activity fan-out asks)."""
    return set(
        Follower.objects.filter(discussion_id=discussion_id, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )
