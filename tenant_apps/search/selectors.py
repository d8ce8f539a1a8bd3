"""One search across what a viewer may see, and the World's explore page.

Each scope starts from its app's own permission rule (``content_visible_to``,
``groups_visible_to``, ``people_visible_to``, ``discussions_visible_to``,
``can_view_folder_q``, the viewer's own ``ThreadState`` rows),
so search shows nothing the rest of the product would hide, and the rule runs in SQL.

**Bounded cost.** A scope's matches are read newest first up to a cap
(``CANDIDATES``): a word that matches half of 200,000 items costs the same as one
that matches 500, because PostgreSQL walks the recency index and stops (or, for a
rare word, reads the few matches from the GIN index). The candidates are ranked in
Python by text rank (``ts_rank``), trigram similarity of the title or name to the
query, and recency; filter counts are counted over them and reported as capped when
the cap was reached. Only the page's rows are then read in full, with snippets.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from html import unescape
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, Exists, FloatField, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone

from tenant_apps.content.models import ContentItem, Share
from tenant_apps.content.permissions import content_visible_to
from tenant_apps.discussions.selectors import discussions_visible_to
from tenant_apps.folders.models import Folder as ItemFolder
from tenant_apps.folders.permissions import can_view_folder_q
from tenant_apps.groups.selectors import groups_visible_to
from tenant_apps.institution.models import InstitutionProfile
from tenant_apps.messaging.models import Folder, ThreadState
from tenant_apps.people.models import User, Visibility
from tenant_apps.people.selectors import people_visible_to, profile_for, visibilities_for
from tenant_apps.search.query import Query, headline_html, highlight

TYPES = ("all", "content", "people", "groups", "discussions", "folders", "messages")
# The scopes of "all" (messages, the viewer's own threads, are searched on their own).
ALL_SCOPES = ("content", "people", "groups", "discussions", "folders")
CANDIDATES = {
    "content": 500,
    "people": 100,
    "groups": 100,
    "discussions": 100,
    "folders": 100,
    "messages": 200,
}
WORD_SIMILARITY = "0.4"  # pg_trgm's word_similarity threshold for typo tolerance
CORRECTION_SIMILARITY = 0.35  # a vocabulary word this close (trigram similarity) corrects
SNIPPET_CHARS = 50_000  # of a document's text searched for the snippet's window
SNIPPET_WINDOW = 700  # characters given to ts_headline: around the first query word
SNIPPET_LEAD = 150  # of them before that word
_HEADLINE_OPTIONS = (
    "'StartSel=' || chr(2) || ', StopSel=' || chr(3) || ', MaxFragments=2, MaxWords=24, "
    'MinWords=8, FragmentDelimiter=" … "\''
)


def search_language() -> str:
    """The institution's text-search configuration (english unless its admins chose another)."""
    language = (
        InstitutionProfile.objects.filter(pk=InstitutionProfile.SINGLETON_PK)
        .values_list("search_language", flat=True)
        .first()
    )
    return language or "english"


def _signed_in(viewer) -> bool:
    return bool(getattr(viewer, "is_authenticated", False) and viewer.is_active)


def _is_admin(viewer) -> bool:
    return _signed_in(viewer) and bool(viewer.is_staff)


def _prepare() -> None:
    """pg_trgm's thresholds and JIT off for this search (run inside its transaction).

    pg_trgm's operators read their threshold from the session: set once per database
    connection, or, behind a transaction pooler (``DATABASE_POOLING=transaction``), where
    each transaction may get another server session, for the search's own transaction.
    """
    connection.ensure_connection()
    pooled = bool(getattr(connection, "transaction_pooling", False))
    raw = id(connection.connection)
    if not pooled and getattr(connection, "oae_trgm_ready", None) == raw:
        return
    with connection.cursor() as cursor:
        # JIT compilation costs more than these short queries take (100+ ms measured).
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, %s), "
            "set_config('pg_trgm.similarity_threshold', '0.3', %s), "
            "set_config('jit', 'off', %s)",
            [WORD_SIMILARITY, pooled, pooled, pooled],
        )
    if not pooled:
        connection.oae_trgm_ready = raw


@contextmanager
def _bitmap_scans_only():
    """Plans from the GIN indexes only, for prefix and trigram queries.

    PostgreSQL's statistics know whole words, not prefixes or near spellings, and
    misjudged they make a LIMIT query read the whole table "until enough rows match"
    (10 s over 1,000,000 people, measured). Inside this block only bitmap scans of
    the indexes are allowed: the cost follows the number of matches, never the table.
    (Inside the search's transaction, without a savepoint: a failure rolls the whole
    read back, these settings with it.)
    """
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('enable_seqscan', 'off', true), "
            "set_config('enable_indexscan', 'off', true)"
        )
        yield
        cursor.execute(
            "SELECT set_config('enable_seqscan', 'on', true), "
            "set_config('enable_indexscan', 'on', true)"
        )


@contextmanager
def _planned_for_its_words():
    """One transaction for a search's reads, so that none becomes a prepared statement.

    The database layer (``config.db.prepared``) turns a SELECT run twice into a
    prepared statement, and PostgreSQL then settles on one generic plan for every
    value. A search's plan must follow its words: the walk down the recency index for
    a word in nearly every item, the GIN index for a rare one - a generic plan for the
    wrong one reads 200,000 rows (1.9 s for a common word, measured). Statements are
    only prepared outside a transaction, and the search's own texts run nowhere else.
    (No savepoint when already in one: nothing here writes.)
    """
    with transaction.atomic(savepoint=False):
        yield


@dataclass
class Filters:
    kind: str = ""
    tag: str = ""
    owner: User | None = None
    group: Any = None
    after: date | None = None
    before: date | None = None

    @property
    def any_content_only(self) -> bool:
        return bool(self.kind or self.tag or self.owner or self.group or self.after or self.before)


@dataclass
class Hit:
    type: str
    pk: int
    score: float
    created: datetime
    kind: str = ""
    tags: list = field(default_factory=list)
    owner_id: int | None = None


@dataclass
class SearchResult:
    query: Query
    type: str
    results: list[dict]
    total: int
    capped: bool
    counts: dict[str, int]
    facets: dict[str, list[dict]]
    next_offset: int | None
    did_you_mean: str | None = None


def _recency(moment: datetime, now: datetime) -> float:
    days = max((now - moment).total_seconds() / 86400.0, 0.0)
    return 1.0 / (1.0 + days / 30.0)


def _score(
    rank: float, similarity: float, moment: datetime, now: datetime, exact: bool = True
) -> float:
    # ts_rank with normalisation 32 is rank/(rank+1), in [0, 1); similarity is in [0, 1].
    # Rows that match every word come before rows let in only by a near spelling.
    return (
        (1.0 if exact else 0.0)
        + 1.0 * (rank or 0.0)
        + 0.6 * (similarity or 0.0)
        + 0.15 * _recency(moment, now)
    )


def _matching(vector: str, title: str, tsq: str, params: list, query: Query) -> RawSQL:
    """The row matches every word; or, for a fuzzy query, its title is a near spelling.

    The trigram condition is left out entirely unless fuzzy: with nothing to compare,
    pg_trgm's index would read every entry.
    """
    if not query.fuzzy_text:
        return RawSQL(f"{vector} @@ {tsq}", params, output_field=BooleanField())
    return RawSQL(
        f"({vector} @@ {tsq} OR %s <%% {title})",
        [*params, query.fuzzy_text],
        output_field=BooleanField(),
    )


# --- content ---------------------------------------------------------------------
_ITEM = '"content_contentitem"'


def _content_matches(viewer, query: Query, filters: Filters) -> QuerySet[ContentItem]:
    tsq, params = query.tsquery()
    match = _matching(f"{_ITEM}.search_vector", f"{_ITEM}.title", tsq, params, query)
    items = content_visible_to(viewer).filter(match)
    if filters.kind:
        items = items.filter(kind=filters.kind)
    if filters.tag:
        items = items.filter(tags__contains=[filters.tag.lower()])
    if filters.owner is not None:
        items = items.filter(created_by=filters.owner)
    if filters.group is not None:
        same_item = Q(item=OuterRef("pk")) & Q(item__gte=OuterRef("pk"))
        items = items.filter(Exists(Share.objects.filter(same_item, group=filters.group)))
    if filters.after:
        items = items.filter(created__date__gte=filters.after)
    if filters.before:
        items = items.filter(created__date__lte=filters.before)
    return items


PHRASE_WINDOW = 4  # a phrase is checked on the newest cap x this many rows holding its words


def _content_hits(viewer, query: Query, filters: Filters, cap: int, now) -> list[Hit]:
    """The newest ``cap`` matches the viewer may see, each with its rank.

    Ranks are computed for the chosen rows only (an inner query picks them newest
    first, the outer one ranks them). A phrase is first looked up as its words alone
    (exact in the GIN index, no position check), and the order of the words is then
    checked newest first on at most ``cap * PHRASE_WINDOW`` of those rows, stopping
    at ``cap``: a phrase whose words are in 1% of 200,000 items costs what 500 do,
    not what 2,000 do. When that window is too small to say (fewer than ``cap`` found
    in a full window), the phrase is looked up the plain way.
    """
    relaxed = query.relaxed()
    if relaxed is not None:
        hits = _content_ranked(
            viewer, query, filters, cap, now, relaxed=relaxed, window=cap * PHRASE_WINDOW
        )
        if hits is not None:
            return hits
    return _content_ranked(viewer, query, filters, cap, now)


def _content_ranked(
    viewer,
    query: Query,
    filters: Filters,
    cap: int,
    now,
    *,
    relaxed: Query | None = None,
    window: int = 0,
) -> list[Hit] | None:
    tsq, params = query.tsquery()
    exact = f"c.search_vector @@ {tsq}" if query.fuzzy_text else "true"
    exact_params = params if query.fuzzy_text else []
    ranks = f"ts_rank(c.search_vector, {tsq}, 32), word_similarity(%s, c.title), {exact}"
    rank_params = [*params, query.text, *exact_params]
    if relaxed is None:
        # The newest cap matches (with what ranking reads), ranked once chosen.
        chosen = (
            _content_matches(viewer, query, filters)
            .order_by("-created", "-id")
            .values_list(
                "pk", "created", "kind", "tags", "created_by_id", "title", "search_vector"
            )[:cap]
        )
        inner, inner_params = chosen.query.sql_with_params()
        sql = (
            f"SELECT c.id, c.created, c.kind, c.tags, c.created_by_id, {ranks}, 0 FROM ({inner}) "
            "c (id, created, kind, tags, created_by_id, title, search_vector)"
        )
        sql_params = [*rank_params, *inner_params]
    else:
        # The newest rows holding the phrase's words, as (id, created) only: sorting
        # them does not carry their vectors (4 MB for 2,000 rows, spilled by the window
        # count). Then, in that order, each row is read by its key and the phrase checked
        # on its vector (a lateral subquery the planner cannot flatten into a join, so
        # it cannot turn this into checking and ranking every row holding the words:
        # 207 ms instead of 40 at 200,000 items, measured), the LIMIT stopping at cap.
        chosen = (
            _content_matches(viewer, relaxed, filters)
            .order_by("-created", "-id")
            .values_list("pk", "created")[:window]
        )
        inner, inner_params = chosen.query.sql_with_params()
        sql = (
            f"SELECT s.id, s.created, c.kind, c.tags, c.created_by_id, {ranks}, s.n "
            "FROM (SELECT s.*, count(*) OVER () AS n "
            f"FROM ({inner}) s (id, created) ORDER BY s.created DESC, s.id DESC OFFSET 0) s "
            "CROSS JOIN LATERAL (SELECT i.kind, i.tags, i.created_by_id, i.title, "
            f"i.search_vector FROM {_ITEM} i WHERE i.id = s.id "
            f"AND i.search_vector @@ {tsq} OFFSET 0) c "
            "ORDER BY s.created DESC, s.id DESC LIMIT %s"
        )
        sql_params = [*rank_params, *inner_params, *params, cap]
    with connection.cursor() as cursor:
        cursor.execute(sql, sql_params)
        rows = cursor.fetchall()
    if relaxed is not None and (not rows or (len(rows) < cap and rows[0][8] >= window)):
        # Nothing, or fewer than cap in a full window: look further the plain way.
        return None
    return [
        Hit("content", pk, _score(rank, sim, created, now, exact), created, kind, tags, owner)
        for pk, created, kind, tags, owner, rank, sim, exact, _ in rows
    ]


def _start_of(word: str) -> str:
    # Stems mostly begin like the words they come from (theory, theories: theo).
    return re.escape(word[: max(3, len(word) - 2)])


def _snippet_anchors(query: Query) -> list[str]:
    """Regular expressions (PostgreSQL's) of where a snippet's window should start, in
    order of preference: a quoted phrase's words in a row, then the first word starting
    like one of the query's (never an excluded one). The words are letters and digits."""
    patterns = []
    for phrase in re.findall(r'"([^"]+)"', query.text):
        words = [w.lower() for w in re.findall(r"[^\W_]+", phrase)]
        if len(words) > 1:
            patterns.append(r"\m" + r"\w*\W+".join(_start_of(w) for w in words))
    excluded = {t[1:].lower() for t in query.text.split() if t.startswith("-")}
    words = [w for w in query.words if len(w) >= 3 and w != "or" and w not in excluded]
    if words:
        patterns.append(r"\m(?:" + "|".join(_start_of(w) for w in words) + ")")
    return patterns


def _content_rows(viewer, query: Query, pks: list[int]) -> dict[int, dict]:
    if not pks:
        return {}
    tsq, params = query.tsquery()
    source = (
        "coalesce(" + _ITEM + ".description, '') || ' ' || "
        "coalesce((SELECT left(v.extracted_text, %s) FROM content_contentversion v "
        "WHERE v.id = " + _ITEM + ".current_version_id), '') || ' ' || "
        "left(oae_html_text(" + _ITEM + ".body_html), %s)"
    )
    # ts_headline parses every word of what it is given (about 1 ms per 2 KB): it gets
    # a window of the text around the first word starting like a query word (or the
    # start), not the whole of it - a page of twenty 50 KB documents would otherwise
    # take a second.
    patterns = _snippet_anchors(query)
    if patterns:
        found = ", ".join("nullif(regexp_instr(src.s, %s, 1, 1, 0, 'i'), 0)" for _ in patterns)
        start = f"greatest(coalesce({found}, 1) - %s, 1)"
        start_params: list = [*patterns, SNIPPET_LEAD]
    else:
        start, start_params = "1", []
    headline = RawSQL(
        # The markers ts_headline is given are taken out of the window it reads (they
        # must not come from the text), not out of the whole text (0.1 ms per 2 KB).
        "(SELECT ts_headline(%s::regconfig, "
        f"translate(substr(src.s, {start}, %s), chr(2) || chr(3), ''), {tsq}, "
        f"{_HEADLINE_OPTIONS}) FROM (SELECT {source} AS s) src)",
        [query.config, *start_params, SNIPPET_WINDOW, *params, SNIPPET_CHARS, SNIPPET_CHARS],
    )
    items = (
        ContentItem.objects.filter(pk__in=pks)
        .select_related("created_by")
        .annotate(headline=headline)
        .defer("body_html", "search_vector", "created_by__search_vector")
    )
    out = {}
    for item in items:
        owner = None
        if item.created_by is not None:
            profile = profile_for(viewer, item.created_by)
            owner = {
                "id": item.created_by.public_id,
                "display_name": profile.get("display_name", ""),
            }
        out[item.pk] = {
            "type": "content",
            "id": item.public_id,
            "kind": item.kind,
            "title": item.title,
            "title_html": highlight(item.title, query.words),
            "snippet_html": headline_html(item.headline),
            "url": reverse("content-item", args=[item.public_id]),
            "link": item.url or None,
            "tags": item.tags,
            "owner": owner,
            "created": item.created,
            "modified": item.modified,
        }
    return out


# --- groups ----------------------------------------------------------------------
_GROUP = '"groups_group"'


def _titled_hits(
    scope: str, rows, table: str, query: Query, cap: int, now, *, order: str, date: str
) -> list[Hit]:
    """Hits of a table searched by its ``search_vector`` and ``title`` (groups, discussions,
    folders): ``rows`` is the viewer's visible queryset, newest by ``order`` first."""
    tsq, params = query.tsquery()
    rows = (
        rows.filter(_matching(f"{table}.search_vector", f"{table}.title", tsq, params, query))
        .annotate(
            rank=RawSQL(f"ts_rank({table}.search_vector, {tsq}, 32)", params, FloatField()),
            similarity=RawSQL(f"word_similarity(%s, {table}.title)", [query.text], FloatField()),
            exact=RawSQL(f"{table}.search_vector @@ {tsq}", params, BooleanField()),
        )
        .order_by(f"-{order}", "-id")
        .values_list("pk", date, "rank", "similarity", "exact")[:cap]
    )
    return [Hit(scope, pk, _score(r, s, m, now, e), m) for pk, m, r, s, e in rows]


def _group_hits(viewer, query: Query, cap: int, now) -> list[Hit]:
    return _titled_hits(
        "groups",
        groups_visible_to(viewer),
        _GROUP,
        query,
        cap,
        now,
        order="modified",
        date="modified",
    )


def _group_rows(viewer, query: Query, pks: list[int]) -> dict[int, dict]:
    from tenant_apps.groups.models import Group

    return _titled_rows(
        Group.objects, pks, query, kind="group", url="group-page", text="description"
    )


# --- discussions -------------------------------------------------------------------
_DISCUSSION = '"discussions_discussion"'


def _discussion_hits(viewer, query: Query, cap: int, now) -> list[Hit]:
    return _titled_hits(
        "discussions",
        discussions_visible_to(viewer),
        _DISCUSSION,
        query,
        cap,
        now,
        order="last_activity_at",
        date="last_activity_at",
    )


def _discussion_rows(viewer, query: Query, pks: list[int]) -> dict[int, dict]:
    from tenant_apps.discussions.models import Discussion

    return _titled_rows(
        Discussion.objects,
        pks,
        query,
        kind="discussion",
        url="discussion-page",
        text="body",
        plain=_text,
        modified="last_activity_at",
    )


# --- folders (tenant_apps.folders: collections of items) ---------------------------
_FOLDER = '"folders_folder"'


def _folder_hits(viewer, query: Query, cap: int, now) -> list[Hit]:
    # The folders' own rule (visible to the viewer, never one in the trash), in SQL.
    return _titled_hits(
        "folders",
        ItemFolder.objects.filter(can_view_folder_q(viewer)),
        _FOLDER,
        query,
        cap,
        now,
        order="created",
        date="modified",
    )


def _folder_rows(viewer, query: Query, pks: list[int]) -> dict[int, dict]:
    return _titled_rows(
        ItemFolder.objects, pks, query, kind="folder", url="folder", text="description"
    )


def _titled_rows(
    manager,
    pks: list[int],
    query: Query,
    *,
    kind: str,
    url: str,
    text: str,
    plain: Callable[[str], str] = str,
    modified: str = "modified",
) -> dict[int, dict]:
    """Groups', discussions' and folders' results: their title, a snippet of ``text``
    (``plain`` turns it into words), their page and dates, highlighted for ``query``."""
    out = {}
    for row in manager.filter(pk__in=pks).only(
        "public_id", "title", text, "visibility", "created", modified
    ):
        out[row.pk] = {
            "type": kind,
            "id": row.public_id,
            "title": row.title,
            "title_html": highlight(row.title, query.words),
            "snippet_html": highlight(plain(getattr(row, text))[:300], query.words),
            "url": reverse(url, args=[row.public_id]),
            "visibility": row.visibility,
            "created": row.created,
            "modified": getattr(row, modified),
        }
    return out


def _text(markup: str) -> str:
    """Sanitised HTML as plain words (for a snippet, which ``highlight`` escapes again)."""
    return " ".join(unescape(re.sub(r"<[^>]*>", " ", markup)).split())


# --- people ----------------------------------------------------------------------
_USER = '"people_user"'
_PROFILE_TEXT = ("department", "role", "biography")


def _people_weights(viewer) -> str:
    if _is_admin(viewer):
        return "ABC"
    return "AB" if Visibility.LOGGEDIN in visibilities_for(viewer) else "A"


def _people_hits(viewer, query: Query, cap: int, now) -> list[Hit]:
    """Listed, active people whose visible name or visible fields match.

    Fields are matched only at the weights of the visibilities the viewer may see;
    a username or an e-mail address is in nobody's vector, and matches only the
    person themselves (their own account, found by exact address or username).
    """
    tsq, params = query.tsquery_weighted(_people_weights(viewer))
    match = _matching(f"{_USER}.search_vector", f"{_USER}.display_name", tsq, params, query)
    people = people_visible_to(viewer).filter(listed_in_directory=True)
    if not _is_admin(viewer):
        people = people.filter(display_name_visibility__in=visibilities_for(viewer))
    condition = Q(match)
    if _signed_in(viewer) and query.text:
        own = query.text.lower()
        condition |= Q(pk=viewer.pk) & (Q(username__iexact=own) | Q(email__iexact=own))
    rows = (
        people.filter(condition)
        .annotate(
            rank=RawSQL(f"ts_rank({_USER}.search_vector, {tsq}, 32)", params, FloatField()),
            similarity=RawSQL(
                f"word_similarity(%s, {_USER}.display_name)", [query.text], FloatField()
            ),
            exact=RawSQL(f"{_USER}.search_vector @@ {tsq}", params, BooleanField()),
        )
        .order_by()
        .values_list("pk", "date_joined", "rank", "similarity", "exact")[:cap]
    )
    # People are not news: recency counts for nothing among them.
    return [
        Hit("people", pk, _score(r, s, now, now, e) + 0.5 * (s or 0), d) for pk, d, r, s, e in rows
    ]


def _people_rows(viewer, query: Query, pks: list[int]) -> dict[int, dict]:
    out = {}
    for person in User.objects.filter(pk__in=pks).defer("search_vector"):
        profile = profile_for(viewer, person)
        details = " · ".join(profile[f] for f in ("role", "department") if profile.get(f))
        out[person.pk] = {
            "type": "person",
            "id": person.public_id,
            "title": profile.get("display_name", ""),
            "title_html": highlight(profile.get("display_name", ""), query.words),
            "snippet_html": highlight(details[:300], query.words),
            "url": reverse("person-page", args=[person.public_id]),
            "picture": profile.get("picture"),
        }
    return out


# --- the viewer's own message threads -------------------------------------------
def _thread_hits(viewer, query: Query, cap: int, now) -> list[Hit]:
    if not _signed_in(viewer):
        return []
    tsq, params = query.tsquery()
    in_messages = RawSQL(
        "EXISTS (SELECT 1 FROM messaging_message m WHERE m.thread_id = "
        '"messaging_threadstate"."thread_id" AND m.search_vector @@ ' + tsq + " AND m.created > "
        'coalesce("messaging_threadstate"."hidden_before", \'-infinity\'::timestamptz))',
        params,
        output_field=BooleanField(),
    )
    subject = (
        '(SELECT t.search_vector FROM messaging_thread t WHERE t.id = "messaging_threadstate".'
        '"thread_id")'
    )
    in_subject = RawSQL(f"{subject} @@ {tsq}", params, output_field=BooleanField())
    rows = (
        ThreadState.objects.filter(user=viewer)
        .exclude(folder=Folder.DELETED)
        .filter(Q(in_subject) | Q(in_messages))
        .annotate(rank=RawSQL(f"ts_rank({subject}, {tsq}, 32)", params, FloatField()))
        .order_by("-last_message_at", "-id")
        .values_list("pk", "last_message_at", "rank")[:cap]
    )
    return [Hit("messages", pk, _score(r, 0.0, m, now) + 0.2, m) for pk, m, r in rows]


def _thread_rows(viewer, query: Query, pks: list[int]) -> dict[int, dict]:
    if not pks:
        return {}
    tsq, params = query.tsquery()
    headline = RawSQL(
        "(SELECT ts_headline(%s::regconfig, "
        "translate(oae_html_text(m.body), chr(2) || chr(3), ''), "
        + tsq
        + ", "
        + _HEADLINE_OPTIONS
        + ') FROM messaging_message m WHERE m.thread_id = "messaging_threadstate"."thread_id"'
        " AND m.search_vector @@ "
        + tsq
        + ' AND m.created > coalesce("messaging_threadstate"."hidden_before", '
        "'-infinity'::timestamptz) ORDER BY m.id DESC LIMIT 1)",
        [query.config, *params, *params],
    )
    out = {}
    states = ThreadState.objects.filter(pk__in=pks, user=viewer).select_related("thread")
    for state in states.annotate(headline=headline):
        thread = state.thread
        out[state.pk] = {
            "type": "thread",
            "id": thread.public_id,
            "title": thread.subject,
            "title_html": highlight(thread.subject, query.words),
            "snippet_html": headline_html(state.headline),
            "url": reverse("messages-thread", args=[thread.public_id]),
            "folder": state.folder,
            "unread": state.is_unread,
            "modified": state.last_message_at,
        }
    return out


_ROWS = {
    "content": _content_rows,
    "groups": _group_rows,
    "discussions": _discussion_rows,
    "folders": _folder_rows,
    "people": _people_rows,
    "messages": _thread_rows,
}


# --- facets and "did you mean" --------------------------------------------------
def _facets(viewer, hits: list[Hit], capped: bool) -> dict[str, list[dict]]:
    content = [h for h in hits if h.type == "content"]
    if not content:
        return {}
    # Counted over up to 500 candidates: plain counters, no per-hit objects.
    kinds = Counter(hit.kind for hit in content)
    tags = Counter(tag for hit in content for tag in hit.tags or ())
    owners = Counter(hit.owner_id for hit in content if hit.owner_id)
    top_owners = sorted(owners.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    owner_rows = {
        p.pk: p for p in people_visible_to(viewer).filter(pk__in=[pk for pk, _ in top_owners])
    }
    owner_facet = []
    for pk, count in top_owners:
        person = owner_rows.get(pk)
        name = profile_for(viewer, person).get("display_name") if person else None
        if name:
            owner_facet.append({"value": person.public_id, "label": name, "count": count})
    group_counts = (
        Share.objects.filter(
            # One array literal (500 numbers as ARRAY[...] are 500 constants to parse).
            RawSQL(
                '"content_share"."item_id" = ANY(%s::bigint[])',
                ["{" + ",".join(str(h.pk) for h in content) + "}"],
                output_field=BooleanField(),
            ),
            group__isnull=False,
        )
        .filter(group__in=groups_visible_to(viewer))
        .values_list("group__public_id", "group__title")
    )
    groups: dict[tuple[str, str], int] = {}
    for key in group_counts:
        groups[key] = groups.get(key, 0) + 1
    now = timezone.now()
    created = [hit.created for hit in content]
    by_day = {
        name: sum(1 for moment in created if moment >= since)
        for name, since in (
            ("week", now - timedelta(days=7)),
            ("month", now - timedelta(days=31)),
            ("year", now - timedelta(days=366)),
        )
    }
    return {
        "kind": [{"value": k, "count": n} for k, n in sorted(kinds.items(), key=lambda kv: -kv[1])],
        "tag": [
            {"value": t, "count": n}
            for t, n in sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))[:15]
        ],
        "owner": owner_facet,
        "group": [
            {"value": gid, "label": title, "count": n}
            for (gid, title), n in sorted(groups.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        ],
        "date": [{"value": k, "count": n} for k, n in by_day.items()],
    }


def _trigrams(word: str) -> set[str]:
    padded = f"  {word.lower()} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _similarity(a: str, b: str) -> float:
    ta, tb = _trigrams(a), _trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


def did_you_mean(viewer, query: Query) -> str | None:
    """A corrected query from words of titles and names the viewer may see, or None.

    Three queries (content titles, group titles, people's visible names), each the
    five closest by trigram word similarity; each query word is replaced by the
    closest word among them when that is close enough and not the same word.
    """
    if not query.words or len(query.text) > 100:
        return None
    _prepare()
    text = query.text
    order = RawSQL(f"word_similarity(%s, {_ITEM}.title)", [text], FloatField())
    titles = list(
        content_visible_to(viewer)
        .filter(RawSQL(f"%s <%% {_ITEM}.title", [text], output_field=BooleanField()))
        .annotate(s=order)
        .order_by("-s")
        .values_list("title", flat=True)[:5]
    )
    titles += list(
        groups_visible_to(viewer)
        .filter(RawSQL(f"%s <%% {_GROUP}.title", [text], output_field=BooleanField()))
        .annotate(s=RawSQL(f"word_similarity(%s, {_GROUP}.title)", [text], FloatField()))
        .order_by("-s")
        .values_list("title", flat=True)[:5]
    )
    people = people_visible_to(viewer).filter(listed_in_directory=True)
    if not _is_admin(viewer):
        people = people.filter(display_name_visibility__in=visibilities_for(viewer))
    titles += list(
        people.filter(RawSQL(f"%s <%% {_USER}.display_name", [text], output_field=BooleanField()))
        .annotate(s=RawSQL(f"word_similarity(%s, {_USER}.display_name)", [text], FloatField()))
        .order_by("-s")
        .values_list("display_name", flat=True)[:5]
    )
    vocabulary = {w.lower() for title in titles for w in re.findall(r"[^\W_]{3,}", title)}
    if not vocabulary:
        return None
    corrected = text
    changed = False
    for word in query.words:
        if len(word) < 3 or word in vocabulary:
            continue
        best = max(vocabulary, key=lambda v: (_similarity(word, v), -abs(len(v) - len(word))))
        if _similarity(word, best) >= 0.35:
            corrected = re.sub(rf"(?i)(?<![\w]){re.escape(word)}(?![\w])", best, corrected)
            changed = True
    return corrected if changed and corrected.lower() != text.lower() else None


def vocabulary_correction(viewer, query: Query) -> str | None:
    """The query with unknown words replaced by the closest known ones, or None.

    One statement over the vocabulary (``search.Word``: words of titles and names
    visible beyond their owners; visitors only those seen in something public). A
    word already in the vocabulary is kept; another is replaced by its closest word
    by trigram similarity, when that is close enough. The caller offers the result
    only if it finds something the viewer may see.
    """
    words = [w for w in query.words if len(w) >= 3 and not w.isdigit()]
    if not words or len(query.text) > 100:
        return None
    members = _signed_in(viewer)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT q.w, EXISTS (SELECT 1 FROM search_word k WHERE k.word = q.w "
            "AND (k.everyone OR %s)), best.word, best.sim "
            "FROM unnest(%s::text[]) AS q (w) LEFT JOIN LATERAL (SELECT s.word, "
            "similarity(s.word, q.w) AS sim FROM search_word s WHERE s.word %% q.w "
            "AND (s.everyone OR %s) ORDER BY sim DESC, s.word LIMIT 1) best ON true",
            [members, words, members],
        )
        found = cursor.fetchall()
    corrected, changed = query.text, False
    for word, known, best, sim in found:
        if known or best is None or sim < CORRECTION_SIMILARITY or best == word:
            continue
        corrected = re.sub(rf"(?i)(?<![\w]){re.escape(word)}(?![\w])", best, corrected)
        changed = True
    return corrected if changed and corrected.lower() != query.text.lower() else None


# --- the one search --------------------------------------------------------------
FEW = 3  # fewer exact matches than this: typo tolerance and "did you mean" step in


def _collect(viewer, query: Query, filters: Filters, scopes: list[str], now):
    hits: list[Hit] = []
    counts: dict[str, int] = {}
    capped = False
    for scope in scopes:
        cap = CANDIDATES[scope]
        if scope == "content":
            found = _content_hits(viewer, query, filters, cap, now)
        elif scope == "groups":
            found = _group_hits(viewer, query, cap, now)
        elif scope == "people":
            found = _people_hits(viewer, query, cap, now)
        elif scope == "discussions":
            found = _discussion_hits(viewer, query, cap, now)
        elif scope == "folders":
            found = _folder_hits(viewer, query, cap, now)
        else:
            found = _thread_hits(viewer, query, cap, now)
        counts[scope] = len(found)
        capped = capped or len(found) >= cap
        hits.extend(found)
    return hits, counts, capped


def search(
    *,
    viewer,
    query: Query,
    type: str = "all",
    filters: Filters | None = None,
    offset: int = 0,
    limit: int = 20,
) -> SearchResult:
    """See ``_search``: its reads in one transaction (``_planned_for_its_words``)."""
    with _planned_for_its_words():
        return _search(
            viewer=viewer, query=query, type=type, filters=filters, offset=offset, limit=limit
        )


def _search(
    *,
    viewer,
    query: Query,
    type: str = "all",
    filters: Filters | None = None,
    offset: int = 0,
    limit: int = 20,
) -> SearchResult:
    """Results for ``viewer`` of ``query`` in one scope (or all but messages), best first.

    ``type`` is one of TYPES; messages (the viewer's own threads) are their own scope.
    Content filters (kind, tag, owner, group, dates) limit the content scope and, in
    "all", leave only content. Pages are offsets into the ranked candidates (bounded).
    """
    filters = filters or Filters()
    now = timezone.now()
    empty = SearchResult(query, type, [], 0, False, {}, {}, None)
    if query.is_empty:
        return empty
    _prepare()
    scopes = [type] if type != "all" else list(ALL_SCOPES)
    if type == "all" and filters.any_content_only:
        scopes = ["content"]
    hits, counts, capped = _collect(viewer, query, filters, scopes, now)
    corrected = None
    if len(hits) < FEW and query.is_plain and scopes != ["messages"]:
        # Few exact matches: first the closest known words (a lookup in the small
        # vocabulary), searched as exact words - as cheap at any size as a word typed
        # right; offered only when that finds something the viewer may see.
        corrected = vocabulary_correction(viewer, query)
        if corrected is not None:
            fixed = replace(
                query, text=corrected, words=Query.parse(corrected, config=query.config).words
            )
            more, _, more_capped = _collect(viewer, fixed, filters, scopes, now)
            if more:
                hits, capped, query = _merged(hits, more), capped or more_capped, fixed
                counts = {scope: sum(1 for h in hits if h.type == scope) for scope in scopes}
            else:
                corrected = None
    if corrected is None and len(hits) < FEW and query.is_plain and scopes != ["messages"]:
        # Still few: let near spellings of titles and names in too (trigram word
        # similarity, and the last word as a prefix). Trying exact words first keeps
        # the trigram index (whose cost grows with the institution) out of the
        # common case.
        query = replace(query, fuzzy=True, prefix=True)
        with _bitmap_scans_only():
            hits, counts, capped = _collect(viewer, query, filters, scopes, now)
    hits.sort(key=lambda h: (-h.score, h.type, -h.pk))
    page = hits[offset : offset + limit]
    rows: dict[tuple[str, int], dict] = {}
    for scope in scopes:
        pks = [h.pk for h in page if h.type == scope]
        if pks:
            for pk, row in _ROWS[scope](viewer, query, pks).items():
                rows[(scope, pk)] = row
    results = []
    for hit in page:
        row = rows.get((hit.type, hit.pk))
        if row is not None:
            row["score"] = round(hit.score, 4)
            results.append(row)
    more = offset + limit < len(hits)
    result = SearchResult(
        query=query,
        type=type,
        results=results,
        total=len(hits),
        capped=capped,
        counts=counts,
        facets=_facets(viewer, hits, capped) if "content" in scopes else {},
        next_offset=offset + limit if more else None,
    )
    if corrected is not None:
        result.did_you_mean = corrected
    elif len(hits) < FEW and offset == 0:
        with _bitmap_scans_only():
            result.did_you_mean = did_you_mean(viewer, query)
    return result


def _merged(first: list[Hit], second: list[Hit]) -> list[Hit]:
    """Both lists, each (type, pk) once with its better score."""
    best: dict[tuple[str, int], Hit] = {}
    for hit in [*first, *second]:
        key = (hit.type, hit.pk)
        if key not in best or hit.score > best[key].score:
            best[key] = hit
    return list(best.values())


def suggest(*, viewer, query: Query, limit: int = 8) -> list[dict]:
    """See ``_suggest``: its reads in one transaction (``_planned_for_its_words``)."""
    with _planned_for_its_words():
        return _suggest(viewer=viewer, query=query, limit=limit)


def _suggest(*, viewer, query: Query, limit: int = 8) -> list[dict]:
    """Suggestions while typing: the best few people, groups and items, labels and links."""
    if query.is_empty:
        return []
    _prepare()
    query = replace(query, prefix=True)
    now = timezone.now()

    def collect(query: Query) -> list[Hit]:
        return (
            _people_hits(viewer, query, 5, now)
            + _group_hits(viewer, query, 5, now)
            + _content_hits(viewer, query, Filters(), 10, now)
        )

    with _bitmap_scans_only():
        hits = collect(query)
        if len(hits) < FEW and query.is_plain:
            query = replace(query, fuzzy=True)
            hits = collect(query)
    hits.sort(key=lambda h: (-h.score, h.type, -h.pk))
    hits = hits[:limit]
    rows: dict[tuple[str, int], dict] = {}
    for scope in ("people", "groups", "content"):
        pks = [h.pk for h in hits if h.type == scope]
        if pks:
            if scope == "content":
                items = ContentItem.objects.filter(pk__in=pks).only("public_id", "title", "kind")
                for item in items:
                    rows[(scope, item.pk)] = {
                        "type": "content",
                        "id": item.public_id,
                        "label": item.title,
                        "kind": item.kind,
                        "url": reverse("content-item", args=[item.public_id]),
                    }
            else:
                for pk, row in _ROWS[scope](viewer, query, pks).items():
                    rows[(scope, pk)] = {
                        "type": row["type"],
                        "id": row["id"],
                        "label": row["title"],
                        "url": row["url"],
                    }
    return [rows[(h.type, h.pk)] for h in hits if (h.type, h.pk) in rows]


# --- the World -------------------------------------------------------------------
def _world_visibilities(viewer) -> list[str]:
    # Only what is open to everyone (visitors) or to every member: never a private
    # item, even one shared with the viewer - the World is for exploring.
    if _signed_in(viewer):
        return [Visibility.PUBLIC, Visibility.LOGGEDIN]
    return [Visibility.PUBLIC]


def world(*, viewer, size: int = 10) -> dict:
    """The explore page: recently active content and groups, popular tags, new people."""
    from tenant_apps.groups.models import Group

    allowed = _world_visibilities(viewer)
    items = list(
        ContentItem.objects.filter(visibility__in=allowed, deleted_at__isnull=True)
        .order_by("-modified", "-id")
        .only("public_id", "title", "kind", "tags", "modified", "visibility")[:size]
    )
    groups = list(
        Group.objects.filter(visibility__in=allowed, deleted_at__isnull=True)
        .order_by("-modified", "-id")
        .only("public_id", "title", "description", "modified", "visibility")[:size]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tag, count(*) AS n FROM (SELECT tags FROM content_contentitem "
            "WHERE visibility = ANY(%s) AND deleted_at IS NULL "
            "ORDER BY modified DESC, id DESC LIMIT 1000) recent, "
            "unnest(recent.tags) AS tag GROUP BY tag ORDER BY n DESC, tag LIMIT 20",
            [allowed],
        )
        tags = [{"tag": tag, "count": n} for tag, n in cursor.fetchall()]
    people = people_visible_to(viewer).filter(
        listed_in_directory=True, display_name_visibility__in=visibilities_for(viewer)
    )
    newest = list(people.order_by("-date_joined")[:size])
    return {
        "content": items,
        "groups": groups,
        "tags": tags,
        "people": [profile_for(viewer, p) for p in newest],
    }


def log_scale(count: int, top: int) -> float:
    """A tag's size in a cloud, from 1 to 2."""
    return 1.0 + (math.log1p(count) / math.log1p(top) if top else 0.0)
