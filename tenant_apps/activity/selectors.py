"""Reads of the activity app: feeds and notifications, filtered by the permission rule now.

Every read applies the *current* rules in SQL: an activity about an item shows only if
the viewer may see the item now (the content library's ``can_view_q``), one about a
group only if they may see the group now (``groups_visible_to``). Feeds are keyset
pages over an index (a person's feed entries, a group's or an item's activities,
newest first) and are aggregated as they are read: "Alice and 3 others commented on
Week 1 notes" is one entry made of four activities of one page.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS
from django.db.models import BooleanField, Exists, Expression, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext, gettext_lazy, ngettext, ngettext_lazy

from config.db.shapes import shapes
from tenant_apps.activity.counts import unread_cache_store, unread_cached, unread_local
from tenant_apps.activity.models import FOLLOWED_VERBS, Activity, FeedEntry, Notification, Verb
from tenant_apps.content.models import ContentItem
from tenant_apps.content.permissions import can_view_q
from tenant_apps.discussions.models import Discussion
from tenant_apps.discussions.selectors import can_view_q as discussion_can_view_q
from tenant_apps.folders.models import Folder
from tenant_apps.folders.permissions import can_view_folder_q
from tenant_apps.groups.models import Group
from tenant_apps.groups.selectors import groups_visible_to
from tenant_apps.people.models import User
from tenant_apps.people.selectors import person_columns_deferred, profile_for

# Raw activities read for one page of aggregated entries: bounds a page's cost.
WINDOW_FACTOR = 3
RELATED = ("actor", "item", "group", "person", "thread", "folder", "discussion")


def _unshown(prefix: str = "") -> list[str]:
    """Columns of the related rows no feed line shows: a document's or discussion's body and
    the accounts behind actors and people (only their summaries are shown)."""
    return [
        f"{prefix}item__body_html",
        f"{prefix}discussion__body",
        *person_columns_deferred(f"{prefix}actor"),
        *person_columns_deferred(f"{prefix}person"),
    ]


log = logging.getLogger(__name__)


def visible_q(viewer, prefix: str = "") -> Q:
    """The condition on activities (or rows pointing at one through ``prefix``) that
    ``viewer`` may see now: their item and group, where they have one, are visible.

    For a signed-in member (every feed, notification list and badge) it is the
    ``ActivityVisible`` expression: the same SQL, built by the ORM once per process."""
    if _is_member(viewer):
        return Q(ActivityVisible(viewer.pk, prefix))
    return _visible_q_orm(viewer, prefix)


def _is_member(viewer) -> bool:
    return bool(getattr(viewer, "is_authenticated", False) and viewer.is_active)


def _visible_q_orm(viewer, prefix: str = "") -> Q:
    """``visible_q`` as the ORM builds it from each app's own rule (the source of truth)."""
    item = ContentItem.objects.filter(can_view_q(viewer)).filter(pk=OuterRef(f"{prefix}item_id"))
    group = groups_visible_to(viewer).filter(pk=OuterRef(f"{prefix}group_id"))
    folder = Folder.objects.filter(can_view_folder_q(viewer)).filter(
        pk=OuterRef(f"{prefix}folder_id")
    )
    discussion = Discussion.objects.filter(discussion_can_view_q(viewer)).filter(
        pk=OuterRef(f"{prefix}discussion_id")
    )
    return (
        (Q(**{f"{prefix}item__isnull": True}) | Q(Exists(item)))
        & (Q(**{f"{prefix}group__isnull": True}) | Q(Exists(group)))
        & (Q(**{f"{prefix}folder__isnull": True}) | Q(Exists(folder)))
        & (Q(**{f"{prefix}discussion__isnull": True}) | Q(Exists(discussion)))
    )


# A person id no row has: the stand-in viewer the cached SQL is compiled for.
_STAND_IN = -(2**62) + 7
_OUTER_COLUMNS = ("item_id", "group_id", "folder_id", "discussion_id")


@functools.lru_cache(maxsize=1)
def _visible_sql() -> tuple[str, tuple, frozenset[str]]:
    """The WHERE text of ``_visible_q_orm`` for a signed-in member, compiled once.

    The four permission subqueries (items, groups, folders, discussions - each app's own
    rule, two levels of EXISTS for a discussion in a group) took the ORM 10-40 ms to build
    and compile on every feed, notification and badge read, more than PostgreSQL takes to
    run them; the dashboard paid it on every view. Compiled here for a stand-in viewer,
    the text keeps ``%s`` placeholders, the activity's four columns are marked for the
    outer query, and the stand-in's id is the one parameter that changes. Also returns
    the subqueries' table aliases (an outer column may not use one of them)."""
    stand_in = User(pk=_STAND_IN, is_active=True)
    activities = Activity.objects.all()
    activities.query.alias_prefix = "P"  # its subqueries' aliases: Q0, R0...
    query = activities.filter(_visible_q_orm(stand_in)).query
    compiler = query.get_compiler(using=DEFAULT_DB_ALIAS)
    sql, params = compiler.compile(query.where)
    table = Activity._meta.db_table
    for column in _OUTER_COLUMNS:
        sql = sql.replace(f'"{table}"."{column}"', _marker(column))
    if f'"{table}"' in sql or _STAND_IN not in params:
        raise ImproperlyConfigured("activity visibility refers to the activity otherwise")
    declared = re.findall(r'(?:FROM|JOIN) "?(\w+)"?(?: (?!WHERE|ON|INNER|LEFT)"?(\w+)"?)?', sql)
    return sql, tuple(params), frozenset(name for pair in declared for name in pair if name)


def _marker(column: str) -> str:
    return f"\x00{column}\x00"


class ActivityVisible(Expression):
    """Whether ``viewer_id`` may see the activity (reached through ``prefix``) now: the SQL
    of ``_visible_q_orm`` compiled once (``_visible_sql``), its columns the outer query's."""

    conditional = True

    def __init__(self, viewer_id: int, prefix: str = "") -> None:
        super().__init__(output_field=BooleanField())
        self.viewer_id = int(viewer_id)
        self.columns = [F(f"{prefix}{name}") for name in _OUTER_COLUMNS]

    def get_source_expressions(self) -> list:
        return self.columns

    def set_source_expressions(self, exprs) -> None:
        self.columns = list(exprs)

    def as_sql(self, compiler, connection, **extra_context) -> tuple[str, tuple]:
        sql, params, inner_aliases = _visible_sql()
        for name, column in zip(_OUTER_COLUMNS, self.columns, strict=True):
            column_sql, column_params = compiler.compile(column)
            if column_params or column_sql.split(".")[0].strip('"') in inner_aliases:
                raise ImproperlyConfigured(f"unexpected outer column {column_sql}")
            sql = sql.replace(_marker(name), column_sql)
        values = tuple(self.viewer_id if p == _STAND_IN else p for p in params)
        return f"({sql})", values


def _anchor(after: str | None) -> int | None:
    if not after:
        return None
    anchor = Activity.objects.filter(public_id=after).values_list("id", flat=True).first()
    if anchor is None:
        raise Http404(gettext("No such page."))
    return anchor


# --- aggregation ---------------------------------------------------------------------
@dataclass
class FeedItem:
    """One line of a feed: one or more activities with the same verb and object."""

    id: str
    verb: str
    created: datetime
    item: ContentItem | None
    group: Group | None
    thread: object | None
    folder: Folder | None = None
    discussion: Discussion | None = None
    actors: list[User] = field(default_factory=list)
    targets: list = field(default_factory=list)
    count: int = 0
    data: dict = field(default_factory=dict)


def _key(activity: Activity) -> tuple:
    if activity.verb.startswith("content."):
        return (activity.verb, "i", activity.item_id)
    if activity.verb.startswith("group."):
        return (activity.verb, "g", activity.group_id)
    if activity.verb == Verb.MESSAGE_SENT:
        return (activity.verb, "t", activity.thread_id)
    if activity.verb.startswith("folder."):
        return (activity.verb, "f", activity.folder_id)
    if activity.verb.startswith("discussion."):
        return (activity.verb, "d", activity.discussion_id)
    return (activity.verb, "a", activity.actor_id)


def _target(activity: Activity):
    if activity.verb in (Verb.CONTENT_SHARED, Verb.FOLDER_SHARED):
        return activity.person or activity.group
    return activity.person


def aggregate(activities: list[Activity], *, size: int) -> tuple[list[FeedItem], int | None]:
    """Merge ``activities`` (newest first) into at most ``size`` feed items.

    Returns the items and the id of the last activity consumed (where the next page
    starts), or None when every activity was consumed and fewer than a window were read.
    """
    items: dict[tuple, FeedItem] = {}
    last_consumed = None
    for activity in activities:
        key = _key(activity)
        entry = items.get(key)
        if entry is None:
            if len(items) == size:
                return list(items.values()), last_consumed
            entry = items[key] = FeedItem(
                id=activity.public_id,
                verb=activity.verb,
                created=activity.created,
                item=activity.item,
                group=activity.group,
                thread=activity.thread,
                folder=activity.folder,
                discussion=activity.discussion,
                data=dict(activity.data),
            )
        if entry.count and "count" in (activity.data or {}):  # items added, summed
            entry.data["count"] = entry.data.get("count", 0) + activity.data["count"]
        entry.count += 1
        if activity.actor is not None and all(a.pk != activity.actor_id for a in entry.actors):
            entry.actors.append(activity.actor)
        target = _target(activity)
        if target is not None and not any(
            type(t) is type(target) and t.pk == target.pk for t in entry.targets
        ):
            entry.targets.append(target)
        last_consumed = activity.pk
    return list(items.values()), last_consumed


def _page(
    activities: list[Activity], *, size: int, window: int
) -> tuple[list[FeedItem], str | None]:
    entries, last = aggregate(activities, size=size)
    if last is None:
        return entries, None
    exhausted = len(activities) < window and last == activities[-1].pk
    if exhausted:
        return entries, None
    return entries, next(a.public_id for a in activities if a.pk == last)


# --- feeds ----------------------------------------------------------------------------
def feed_of(*, viewer: User, after: str | None = None, size: int = 25):
    """``viewer``'s own feed: their connections', groups' and own items' activities and what
    was shared with them, as they may see them now. Returns (entries, next cursor)."""
    anchor = _anchor(after)
    window = size * WINDOW_FACTOR

    def build(who) -> QuerySet[FeedEntry]:
        entries = FeedEntry.objects.filter(user=who).filter(visible_q(who, "activity__"))
        if anchor is not None:
            entries = entries.filter(activity_id__lt=anchor)
        return (
            entries.select_related(*(f"activity__{name}" for name in RELATED))
            .defer(*_unshown("activity__"))
            .order_by("-activity_id")[:window]
        )

    # The first page (the dashboard's) is the same query for everyone but their id: its
    # SQL is learned once per process (config.db.shapes); a later page is built as before.
    rows = shapes.rows(("feed", window), viewer, build) if anchor is None else list(build(viewer))
    return _page([row.activity for row in rows], size=size, window=window)


def _activities_page(activities: QuerySet[Activity], *, after: str | None, size: int):
    anchor = _anchor(after)
    if anchor is not None:
        activities = activities.filter(id__lt=anchor)
    window = size * WINDOW_FACTOR
    rows = list(activities.select_related(*RELATED).defer(*_unshown()).order_by("-id")[:window])
    return _page(rows, size=size, window=window)


def feed_of_group(*, viewer, group: Group, after: str | None = None, size: int = 25):
    """A group's feed: what happened in the group and what was shared with it, as ``viewer``
    may see it now. Whether ``viewer`` may see the group is the caller's door."""
    activities = Activity.objects.filter(group=group).exclude(verb=Verb.MESSAGE_SENT)
    return _activities_page(activities.filter(visible_q(viewer)), after=after, size=size)


def feed_of_item(*, viewer, item: ContentItem, after: str | None = None, size: int = 25):
    """An item's feed (the caller's door has checked that ``viewer`` may see the item)."""
    activities = Activity.objects.filter(item=item)
    return _activities_page(activities.filter(visible_q(viewer)), after=after, size=size)


def feed_of_folder(*, viewer, folder: Folder, after: str | None = None, size: int = 25):
    """A folder's feed (the caller's door has checked that ``viewer`` may see the folder)."""
    activities = Activity.objects.filter(folder=folder)
    return _activities_page(activities.filter(visible_q(viewer)), after=after, size=size)


def feed_of_person(*, viewer, person: User, after: str | None = None, size: int = 25):
    """``person``'s public activity (what their followers see: FOLLOWED_VERBS), as ``viewer``
    may see it now. Whether ``viewer`` may see ``person`` is the caller's door."""
    activities = Activity.objects.filter(actor=person, verb__in=sorted(FOLLOWED_VERBS))
    return _activities_page(activities.filter(visible_q(viewer)), after=after, size=size)


# --- notifications --------------------------------------------------------------------
def notifications_of(*, viewer: User) -> QuerySet[Notification]:
    """``viewer``'s notifications about what they may see now, newest first."""
    return (
        Notification.objects.filter(recipient=viewer)
        .filter(visible_q(viewer, "activity__"))
        .select_related(*(f"activity__{name}" for name in RELATED))
        .defer(*_unshown("activity__"))
        .order_by("-id")
    )


def notifications_page(
    *, viewer: User, after: str | None = None, size: int = 25
) -> tuple[list[Notification], str | None]:
    rows = notifications_of(viewer=viewer)
    if after:
        anchor = (
            Notification.objects.filter(recipient=viewer, public_id=after)
            .values_list("id", flat=True)
            .first()
        )
        if anchor is None:
            raise Http404(gettext("No such page."))
        rows = rows.filter(id__lt=anchor)
    page = list(rows[: size + 1])
    more = len(page) > size
    page = page[:size]
    return page, (page[-1].public_id if more else None)


def unread_count(viewer: User) -> int:
    """How many of ``viewer``'s notifications are unread (cached; every change forgets it)."""
    return _unread_count(viewer)[0]


def unread_badge_count(viewer: User) -> int:
    """``unread_count`` through this process's memory (the page header's badge, read by
    every signed-in page): no round trip on a warm process; every change forgets it in
    every process (``counts``). Kept only when the shared cache answered: with Redis down
    no invalidation could reach this copy, so it would outlive a change."""
    counted: list[int] = []

    def load() -> int | None:
        count, shared = _unread_count(viewer)
        if shared:
            return count
        counted.append(count)
        return None  # not kept

    found = unread_local.get(viewer.pk, load)
    return counted[0] if found is None else found


def _unread_count(viewer: User) -> tuple[int, bool]:
    """(the count, whether the shared cache answered or kept it)."""
    # The cache is only a shortcut: with Redis down every page would answer 503 for a badge,
    # so its failures fall back to counting (and the count is not kept).
    try:
        epoch, cached = unread_cached(viewer.pk)
    except Exception:  # any failure of the cache's server
        epoch, cached = None, None
        log.warning("unread count: cache unavailable, counting", exc_info=True)
    if cached is not None:
        return cached, True
    count = (
        Notification.objects.filter(recipient=viewer, is_read=False)
        .filter(visible_q(viewer, "activity__"))
        .count()
    )
    if epoch is None:
        return count, False
    try:
        unread_cache_store(viewer.pk, epoch, count)
    except Exception:  # any failure of the cache's server
        return count, False
    return count, True


# --- presentation ---------------------------------------------------------------------
def _name(viewer, person: User | None) -> str:
    if person is None:
        return gettext("Someone")
    return profile_for(viewer, person).get("display_name") or gettext("Someone")


def _label(viewer, who) -> str:
    return _name(viewer, who) if isinstance(who, User) else who.title


def _names(viewer, people: list) -> str:
    """ "Alice", "Alice and Bob", "Alice and 3 others"."""
    if not people:
        return gettext("Someone")
    if len(people) == 2:
        return gettext("%(first)s and %(second)s") % {
            "first": _label(viewer, people[0]),
            "second": _label(viewer, people[1]),
        }
    first = _label(viewer, people[0])
    rest = len(people) - 1
    if rest > 0:
        return ngettext("%(name)s and %(count)d other", "%(name)s and %(count)d others", rest) % {
            "name": first,
            "count": rest,
        }
    return first


def _object_title(entry: FeedItem) -> str:
    if entry.discussion is not None:
        return entry.discussion.title
    if entry.item is not None:
        return entry.item.title
    if entry.group is not None:
        return entry.group.title
    if entry.thread is not None:
        return entry.thread.subject
    if entry.folder is not None:
        return entry.folder.title
    return ""


# Each verb in words, as whole sentences for the translators: "you" (the viewer did it),
# "they" (others did it; singular or plural with the number of actors), "they_to_you" (to
# the viewer) and "they_to"/"you_to" (to the people or groups named in %(targets)s).
SUMMARIES = {
    Verb.CONTENT_SHARED: {
        "you": gettext_lazy("You shared %(title)s"),
        "you_to": gettext_lazy("You shared %(title)s with %(targets)s"),
        "they": ngettext_lazy(
            "%(actors)s shared %(title)s", "%(actors)s shared %(title)s", "count"
        ),
        "they_to_you": ngettext_lazy(
            "%(actors)s shared %(title)s with you", "%(actors)s shared %(title)s with you", "count"
        ),
        "they_to": ngettext_lazy(
            "%(actors)s shared %(title)s with %(targets)s",
            "%(actors)s shared %(title)s with %(targets)s",
            "count",
        ),
    },
    Verb.CONTENT_COMMENTED: {
        "you": gettext_lazy("You commented on %(title)s"),
        "they": ngettext_lazy(
            "%(actors)s commented on %(title)s", "%(actors)s commented on %(title)s", "count"
        ),
    },
    Verb.CONTENT_VERSION: {
        "you": gettext_lazy("You uploaded a new version of %(title)s"),
        "they": ngettext_lazy(
            "%(actors)s uploaded a new version of %(title)s",
            "%(actors)s uploaded a new version of %(title)s",
            "count",
        ),
    },
    Verb.CONTENT_UPDATED: {
        "you": gettext_lazy("You updated %(title)s"),
        "they": ngettext_lazy(
            "%(actors)s updated %(title)s", "%(actors)s updated %(title)s", "count"
        ),
    },
    Verb.CONTENT_EDITED: {
        "you": gettext_lazy("You edited %(title)s"),
        "they": ngettext_lazy(
            "%(actors)s edited %(title)s", "%(actors)s edited %(title)s", "count"
        ),
    },
    Verb.CONTENT_CREATED: {
        "you": gettext_lazy("You added %(title)s"),
        "they": ngettext_lazy("%(actors)s added %(title)s", "%(actors)s added %(title)s", "count"),
    },
    Verb.GROUP_CREATED: {
        "you": gettext_lazy("You created the group %(title)s"),
        "they": ngettext_lazy(
            "%(actors)s created the group %(title)s",
            "%(actors)s created the group %(title)s",
            "count",
        ),
    },
    Verb.GROUP_JOINED: {
        "you": gettext_lazy("You joined %(title)s"),
        "they": ngettext_lazy(
            "%(actors)s joined %(title)s", "%(actors)s joined %(title)s", "count"
        ),
    },
    Verb.GROUP_MEMBER_ADDED: {
        "you": gettext_lazy("You added someone to %(title)s"),
        "you_to": gettext_lazy("You added %(targets)s to %(title)s"),
        "they": ngettext_lazy(
            "%(actors)s added someone to %(title)s",
            "%(actors)s added someone to %(title)s",
            "count",
        ),
        "they_to_you": ngettext_lazy(
            "%(actors)s added you to %(title)s", "%(actors)s added you to %(title)s", "count"
        ),
        "they_to": ngettext_lazy(
            "%(actors)s added %(targets)s to %(title)s",
            "%(actors)s added %(targets)s to %(title)s",
            "count",
        ),
    },
    Verb.GROUP_ROLE_CHANGED: {
        "you": gettext_lazy("You changed someone's role in %(title)s"),
        "you_to": gettext_lazy("You changed the role of %(targets)s in %(title)s"),
        "they": ngettext_lazy(
            "%(actors)s changed someone's role in %(title)s",
            "%(actors)s changed someone's role in %(title)s",
            "count",
        ),
        "they_to_you": ngettext_lazy(
            "%(actors)s changed your role in %(title)s",
            "%(actors)s changed your role in %(title)s",
            "count",
        ),
        "they_to": ngettext_lazy(
            "%(actors)s changed the role of %(targets)s in %(title)s",
            "%(actors)s changed the role of %(targets)s in %(title)s",
            "count",
        ),
    },
    Verb.GROUP_JOIN_REQUESTED: {
        "you": gettext_lazy("You asked to join %(title)s"),
        "they": ngettext_lazy(
            "%(actors)s asked to join %(title)s", "%(actors)s asked to join %(title)s", "count"
        ),
    },
    Verb.GROUP_INVITED: {
        "you": gettext_lazy("You invited someone to %(title)s"),
        "you_to": gettext_lazy("You invited %(targets)s to %(title)s"),
        "they": ngettext_lazy(
            "%(actors)s invited someone to %(title)s",
            "%(actors)s invited someone to %(title)s",
            "count",
        ),
        "they_to_you": ngettext_lazy(
            "%(actors)s invited you to %(title)s", "%(actors)s invited you to %(title)s", "count"
        ),
        "they_to": ngettext_lazy(
            "%(actors)s invited %(targets)s to %(title)s",
            "%(actors)s invited %(targets)s to %(title)s",
            "count",
        ),
    },
    Verb.CONNECTION_REQUESTED: {
        "you": gettext_lazy("You asked someone to connect"),
        "you_to": gettext_lazy("You asked to connect with %(targets)s"),
        "they": ngettext_lazy(
            "%(actors)s asked someone to connect", "%(actors)s asked someone to connect", "count"
        ),
        "they_to_you": ngettext_lazy(
            "%(actors)s asked to connect with you", "%(actors)s asked to connect with you", "count"
        ),
        "they_to": ngettext_lazy(
            "%(actors)s asked to connect with %(targets)s",
            "%(actors)s asked to connect with %(targets)s",
            "count",
        ),
    },
    Verb.CONNECTION_ACCEPTED: {
        "you": gettext_lazy("You made a new connection"),
        "you_to": gettext_lazy("You connected with %(targets)s"),
        "they": ngettext_lazy(
            "%(actors)s made a new connection", "%(actors)s made new connections", "count"
        ),
        "they_to_you": ngettext_lazy(
            "%(actors)s connected with you", "%(actors)s connected with you", "count"
        ),
        "they_to": ngettext_lazy(
            "%(actors)s connected with %(targets)s",
            "%(actors)s connected with %(targets)s",
            "count",
        ),
    },
    Verb.FOLDER_CREATED: {
        "you": gettext_lazy("You created the folder %(title)s"),
        "they": ngettext_lazy(
            "%(actors)s created the folder %(title)s",
            "%(actors)s created the folder %(title)s",
            "count",
        ),
    },
    Verb.FOLDER_UPDATED: {
        "you": gettext_lazy("You updated the folder %(title)s"),
        "they": ngettext_lazy(
            "%(actors)s updated the folder %(title)s",
            "%(actors)s updated the folder %(title)s",
            "count",
        ),
    },
    Verb.FOLDER_ITEMS_ADDED: {
        "you": gettext_lazy("You added %(items)s to %(title)s"),
        "they": ngettext_lazy(
            "%(actors)s added %(items)s to %(title)s",
            "%(actors)s added %(items)s to %(title)s",
            "count",
        ),
    },
    Verb.FOLDER_ITEMS_REMOVED: {
        "you": gettext_lazy("You removed %(items)s from %(title)s"),
        "they": ngettext_lazy(
            "%(actors)s removed %(items)s from %(title)s",
            "%(actors)s removed %(items)s from %(title)s",
            "count",
        ),
    },
    Verb.FOLDER_SHARED: {
        "you": gettext_lazy("You shared the folder %(title)s"),
        "you_to": gettext_lazy("You shared the folder %(title)s with %(targets)s"),
        "they": ngettext_lazy(
            "%(actors)s shared the folder %(title)s",
            "%(actors)s shared the folder %(title)s",
            "count",
        ),
        "they_to_you": ngettext_lazy(
            "%(actors)s shared the folder %(title)s with you",
            "%(actors)s shared the folder %(title)s with you",
            "count",
        ),
        "they_to": ngettext_lazy(
            "%(actors)s shared the folder %(title)s with %(targets)s",
            "%(actors)s shared the folder %(title)s with %(targets)s",
            "count",
        ),
    },
    Verb.DISCUSSION_CREATED: {
        "you": gettext_lazy("You started the discussion %(title)s"),
        "they": ngettext_lazy(
            "%(actors)s started the discussion %(title)s",
            "%(actors)s started the discussion %(title)s",
            "count",
        ),
    },
    Verb.DISCUSSION_REPLIED: {
        "you": gettext_lazy("You replied in %(title)s"),
        "they": ngettext_lazy(
            "%(actors)s replied in %(title)s", "%(actors)s replied in %(title)s", "count"
        ),
    },
    Verb.DISCUSSION_MENTIONED: {
        "you": gettext_lazy("You mentioned someone in %(title)s"),
        "you_to": gettext_lazy("You mentioned %(targets)s in %(title)s"),
        "they": ngettext_lazy(
            "%(actors)s mentioned someone in %(title)s",
            "%(actors)s mentioned someone in %(title)s",
            "count",
        ),
        "they_to_you": ngettext_lazy(
            "%(actors)s mentioned you in %(title)s",
            "%(actors)s mentioned you in %(title)s",
            "count",
        ),
        "they_to": ngettext_lazy(
            "%(actors)s mentioned %(targets)s in %(title)s",
            "%(actors)s mentioned %(targets)s in %(title)s",
            "count",
        ),
    },
    Verb.PERSON_FOLLOWED: {
        "you": gettext_lazy("You followed someone"),
        "you_to": gettext_lazy("You followed %(targets)s"),
        "they": ngettext_lazy(
            "%(actors)s followed someone", "%(actors)s followed someone", "count"
        ),
        "they_to_you": ngettext_lazy("%(actors)s followed you", "%(actors)s followed you", "count"),
        "they_to": ngettext_lazy(
            "%(actors)s followed %(targets)s", "%(actors)s followed %(targets)s", "count"
        ),
    },
    Verb.MESSAGE_SENT: {
        "you": gettext_lazy("You sent a message: %(title)s"),
        "they": ngettext_lazy(
            "%(actors)s sent a message: %(title)s", "%(actors)s sent a message: %(title)s", "count"
        ),
    },
}


def summary(viewer, entry: FeedItem) -> str:
    """The entry in words, as ``viewer`` may read them (names they may not see are "Someone";
    the viewer is "you"), in the active language."""
    viewer_pk = getattr(viewer, "pk", None)
    count = max(len(entry.actors), 1)
    is_you = len(entry.actors) == 1 and viewer_pk is not None and viewer_pk == entry.actors[0].pk
    targets = list(entry.targets)
    to_you = any(isinstance(t, User) and t.pk == viewer_pk for t in targets)
    others = [t for t in targets if not (isinstance(t, User) and t.pk == viewer_pk)]
    texts = SUMMARIES.get(entry.verb)
    values = {
        "actors": _names(viewer, entry.actors) if entry.actors else gettext("Someone"),
        "title": _object_title(entry),
        "targets": _names(viewer, others) if others else "",
        "count": count,
    }
    if entry.verb in (Verb.FOLDER_ITEMS_ADDED, Verb.FOLDER_ITEMS_REMOVED):
        items = int((entry.data or {}).get("count", 0))
        values["items"] = ngettext("%(n)d item", "%(n)d items", items) % {"n": items}
    if texts is None:
        return f"{values['actors']} {entry.verb}"
    if is_you:
        key = "you_to" if others and "you_to" in texts else "you"
    elif to_you and "they_to_you" in texts:
        key = "they_to_you"
    elif others and "they_to" in texts:
        key = "they_to"
    else:
        key = "they"
    return str(texts[key] % values)


def _person(viewer, person: User) -> dict:
    profile = profile_for(viewer, person)
    return {key: profile[key] for key in ("id", "display_name") if key in profile}


def _link(entry: FeedItem) -> str:
    if entry.discussion is not None:
        return f"/discussions/{entry.discussion.public_id}"
    if entry.item is not None:
        return f"/content/{entry.item.public_id}"
    if entry.group is not None:
        return f"/groups/{entry.group.public_id}"
    if entry.thread is not None:
        return f"/messages/{entry.thread.public_id}"
    if entry.folder is not None:
        return f"/folders/{entry.folder.public_id}"
    if entry.verb.startswith("connection."):
        return "/connections/"
    if entry.verb == Verb.PERSON_FOLLOWED and entry.actors:
        return f"/people/{entry.actors[0].public_id}"
    return "/"


def entry_data(viewer, entry: FeedItem) -> dict:
    """A feed entry as the API and the pages show it: opaque ids and visible names only."""
    obj = None
    if entry.discussion is not None:
        obj = {
            "type": "discussion",
            "id": entry.discussion.public_id,
            "title": entry.discussion.title,
        }
    elif entry.item is not None:
        obj = {"type": "content", "id": entry.item.public_id, "title": entry.item.title}
    elif entry.group is not None:
        obj = {"type": "group", "id": entry.group.public_id, "title": entry.group.title}
    elif entry.thread is not None:
        obj = {"type": "thread", "id": entry.thread.public_id, "title": entry.thread.subject}
    elif entry.folder is not None:
        obj = {"type": "folder", "id": entry.folder.public_id, "title": entry.folder.title}
    targets = []
    for target in entry.targets[:10]:
        if isinstance(target, User):
            targets.append({"type": "person", **_person(viewer, target)})
        else:
            targets.append({"type": "group", "id": target.public_id, "title": target.title})
    return {
        "id": entry.id,
        "verb": entry.verb,
        "summary": summary(viewer, entry),
        "actors": [_person(viewer, actor) for actor in entry.actors[:10]],
        "actor_count": len(entry.actors),
        "object": obj,
        "targets": targets,
        "count": entry.count,
        "created": entry.created,
        "url": _link(entry),
    }


def notification_entry(notification: Notification) -> FeedItem:
    activity = notification.activity
    entry, _ = aggregate([activity], size=1)
    return entry[0]


def notification_data(viewer, notification: Notification) -> dict:
    return {
        "id": notification.public_id,
        "category": notification.category,
        "is_read": notification.is_read,
        "created": notification.created,
        "activity": entry_data(viewer, notification_entry(notification)),
    }
