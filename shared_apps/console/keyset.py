"""Keyset (cursor) pagination for the console's HTML lists.

A page is "the next ``limit`` rows after this key" in a total order (a sort value,
then the primary key), never an OFFSET: page 500 costs what page 1 costs. The
cursor is the key of the row at the page's edge, base64-encoded JSON; a cursor
that does not parse is ignored (the first page is shown) rather than failing.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet

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
