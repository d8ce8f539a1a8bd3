"""Keyset pagination for every HTML list: a page is "the next rows after this key" in a
total order, never an OFFSET, so page 500 costs what page 1 costs.

Two ways to name the key, one comparison underneath:

- ``page_after``: the pages of an institution (library, groups, directory, members,
  connections, messages) continue ``?after=<public id>`` of the last row shown; an id
  that is not in the list is a 404.
- ``keyset_page``: the console's lists walk both ways with an opaque cursor (the key of
  the row at the page's edge, base64-encoded JSON); a cursor that does not parse is
  ignored (the first page is shown) rather than failing.

The API's lists use DRF's cursor pagination (``config.api.pagination``).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext

KINDS = ("str", "int", "datetime")


@dataclass(frozen=True)
class Ordering:
    """Rows ordered by ``field`` (never NULL; annotate with Coalesce), then by pk."""

    field: str
    kind: str  # "str", "int" or "datetime": how the cursor's value is read back
    descending: bool = False


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
    if type(pk) is not int or direction not in ("n", "p"):
        return None
    if kind == "int" and type(value) is not int:
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


def _beyond(field: str, value: Any, pk: int, *, descending: bool) -> Q:
    """Rows strictly after (value, pk) in the order (field, pk), ascending or descending."""
    op = "lt" if descending else "gt"
    return Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"pk__{op}": pk})


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
    rows = queryset.order_by(f"{sign}{field}", f"{sign}pk")
    if decoded is not None:
        value, pk, _ = decoded
        rows = rows.filter(_beyond(field, value, pk, descending=read_descending))
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
