"""Keyset pagination for every HTML list: a page is "the next rows after this key" in a
total order, never an OFFSET, so page 500 costs what page 1 costs.

Two ways to name the key, one comparison underneath:

- ``page_after``: the pages of an institution (library, groups, directory, members,
  connections, messages) continue ``?after=<public id>`` of the last row shown; an id
  that is not in the list is a 404.
- ``keyset_page``: the console's lists walk both ways with an opaque cursor (the key of
  the row at the page's edge, base64-encoded JSON); a cursor that does not parse is
  ignored (the first page is shown) rather than failing. The page after a cursor is
  ``(value, id) > (cursor's value, cursor's id)``, a row comparison: PostgreSQL starts
  an index on (value, id) at the cursor, where ``value > x OR (value = x AND id > y)``
  walks the index from its start and filters (page 500 of a sort with many ties, say
  10,000 institutions with no people yet, read every row before it).

The API's lists use DRF's cursor pagination (``config.api.pagination``).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import BooleanField, Expression, F, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext

KINDS = ("str", "int", "datetime")
# A cursor's numbers must fit PostgreSQL's bigint: a larger one is not one of ours (and a
# prepared statement would fail on it).
_BIGINT = 2**63


@dataclass(frozen=True)
class Ordering:
    """Rows ordered by ``field`` (never NULL; annotate with Coalesce), then by pk."""

    field: str
    kind: str  # "str", "int" or "datetime": how the cursor's value is read back
    descending: bool = False
    # The tie-breaker's path: the primary key, or a column equal to it in every row read,
    # in the table that holds ``field`` (e.g. "usage__tenant_id" when the sort value is a
    # column of a joined one-to-one table): then (field, tiebreak) is one index's key and
    # both the order and the cursor's row comparison are answered by that index.
    tiebreak: str = "pk"


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None
    prev_cursor: str | None


def cursor_encode(value: Any, pk: int, *, backwards: bool = False) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([value, pk, "p" if backwards else "n"], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_decode(cursor: str, kind: str) -> tuple[Any, int, bool] | None:
    """(value, pk, backwards), or None when the cursor is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk, direction = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, RecursionError):
        return None
    if type(pk) is not int or not -_BIGINT <= pk < _BIGINT or direction not in ("n", "p"):
        return None
    if kind == "int" and (type(value) is not int or not -_BIGINT <= value < _BIGINT):
        return None
    if kind in ("str", "datetime") and (not isinstance(value, str) or "\x00" in value):
        return None  # PostgreSQL refuses NUL in a string: no 500 from a forged cursor
    if kind == "datetime":
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
    return value, pk, direction == "p"


class RowBeyond(Expression):
    """``(a, b) > (x, y)`` (``<`` descending): rows strictly after (x, y) in the order
    (a, b), as one row comparison, which PostgreSQL can use as an index's start."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, fields: tuple[str, ...], values: tuple, *, descending: bool) -> None:
        super().__init__()
        self.fields = [F(field) for field in fields]
        self.values = tuple(values)
        self.descending = descending

    def get_source_expressions(self) -> list:
        return self.fields

    def set_source_expressions(self, expressions: list) -> None:
        self.fields = list(expressions)

    def as_sql(self, compiler, connection) -> tuple[str, tuple]:
        columns, params = [], []
        for expression in self.fields:
            sql, expression_params = compiler.compile(expression)
            columns.append(sql)
            params.extend(expression_params)
        placeholders = ", ".join(["%s"] * len(self.values))
        op = "<" if self.descending else ">"
        return f"({', '.join(columns)}) {op} ({placeholders})", (*params, *self.values)


def _beyond(ordering: Ordering, value: Any, pk: int, *, descending: bool) -> RowBeyond:
    """Rows strictly after (value, pk) in the order (field, tiebreak), either direction."""
    return RowBeyond((ordering.field, ordering.tiebreak), (value, pk), descending=descending)


def keyset_page(queryset: QuerySet, *, ordering: Ordering, cursor: str | None, limit: int) -> Page:
    """One page of ``queryset`` after (or, for a "previous" cursor, before) ``cursor``.

    One query (plus the queryset's own prefetches), whatever the page's depth.
    """
    field, descending = ordering.field, ordering.descending
    decoded = cursor_decode(cursor, ordering.kind) if cursor else None
    backwards = decoded is not None and decoded[2]
    # Walking backwards reads the reversed order and turns the rows round after.
    read_descending = descending != backwards
    sign = "-" if read_descending else ""
    rows = queryset.order_by(f"{sign}{field}", f"{sign}{ordering.tiebreak}")
    if decoded is not None:
        value, pk, _ = decoded
        rows = rows.filter(_beyond(ordering, value, pk, descending=read_descending))
    rows = list(rows[: limit + 1])
    has_more = len(rows) > limit
    items = rows[:limit]
    if backwards:
        items.reverse()

    def key(item, *, back: bool) -> str:
        return cursor_encode(getattr(item, field), item.pk, backwards=back)

    if not items:
        if backwards:  # nothing before the cursor (rows went away): start over
            return keyset_page(queryset, ordering=ordering, cursor=None, limit=limit)
        return Page(items=[], next_cursor=None, prev_cursor=None)
    if backwards:
        next_cursor = key(items[-1], back=False)
        prev_cursor = key(items[0], back=True) if has_more else None
    else:
        next_cursor = key(items[-1], back=False) if has_more else None
        prev_cursor = key(items[0], back=True) if decoded is not None else None
    return Page(items=items, next_cursor=next_cursor, prev_cursor=prev_cursor)


def _after_row(order: tuple[str, ...], anchor: dict[str, Any]) -> Q:
    """Rows strictly after ``anchor`` in ``order`` (fields, "-" for descending; the last one
    unique): (a > x) or (a = x and b > y) or ..., compared field by field."""
    beyond = Q(pk__in=[])
    equal = Q()
    for term in order:
        field = term.lstrip("-")
        op = "lt" if term.startswith("-") else "gt"
        beyond |= equal & Q(**{f"{field}__{op}": anchor[field]})
        equal &= Q(**{field: anchor[field]})
    return beyond


def page_after(
    rows: QuerySet,
    *,
    order: tuple[str, ...],
    after: str | None,
    size: int,
    anchor: str = "public_id",
    key=None,
) -> tuple[list, str | None]:
    """One page of ``rows`` in ``order`` after the row whose ``anchor`` field is ``after``.

    Returns the page and the value to continue after (the last row's ``key``, by default
    its ``anchor`` field; None on the last page). Http404 when ``after`` names no row of
    ``rows``. Two queries on a later page (the anchor's key, then the page), one on the
    first, whatever the depth: the first field's plain bound lets an index on ``order``
    start at the anchor.
    """
    rows = rows.order_by(*order)
    if after:
        fields = [term.lstrip("-") for term in order]
        position = rows.filter(**{anchor: after}).values(*fields).first()
        if position is None:
            raise Http404(gettext("No such page."))
        first = order[0]
        bound = "lte" if first.startswith("-") else "gte"
        rows = rows.filter(**{f"{first.lstrip('-')}__{bound}": position[fields[0]]}).filter(
            _after_row(order, position)
        )
    page = list(rows[: size + 1])
    more = len(page) > size
    page = page[:size]
    if not more:
        return page, None
    last = page[-1]
    if key is not None:
        return page, key(last)
    value = last
    for part in anchor.split("__"):
        value = getattr(value, part)
    return page, value
