"""Server-side prepared statements for the ORM's repeated reads (psycopg2).

psycopg2 interpolates parameters on the client, so PostgreSQL parses and plans every
statement afresh. For most reads planning is negligible, but for the permission-heavy
ones it is most of the statement: the dashboard's activity feed (four visibility
EXISTS and seven joined tables) plans for about 25 ms and runs in under 1 ms, a
content list's permission query plans for 2-4 ms. Here a ``SELECT`` with positional
parameters that one connection has run ``THRESHOLD`` times is turned into ``PREPARE
name AS ...`` (``%s`` -> ``$n``) once, and from then on runs as ``EXECUTE name(...)``.
PostgreSQL plans the first five executions of a prepared statement for their values
and then keeps a generic plan when it costs no more than those: repeated reads stop
being planned at all.

Safety:

- A statement is only *prepared* in autocommit mode (outside ``atomic()``), so a
  ``PREPARE`` that PostgreSQL refuses (a parameter whose type it cannot infer, say)
  aborts no transaction; the statement is then remembered as unpreparable and runs as
  before. ``EXECUTE`` of an already prepared statement runs anywhere.
- The schema: a prepared statement stores the ``search_path`` it was analysed under
  and PostgreSQL re-analyses and re-plans it when the path differs at ``EXECUTE``, so
  the same text prepared for one institution reads the next institution's tables
  (tested: tests/platform/config/test_prepared.py).
- A table changed under a prepared statement (a migration) is re-planned by PostgreSQL;
  if the change alters the statement's result columns PostgreSQL answers "cached plan
  must not change result type": outside a transaction the statement is dropped and run
  again unprepared, inside one the error stands (and the statement is dropped).
- Each connection keeps at most ``CAPACITY`` prepared statements (least recently used
  deallocated first) and counts at most ``CAPACITY * 4`` candidate texts.
- Not with a transaction pooler (``DATABASE_POOLING=transaction``): prepared statements
  live in one server session, which a pooler hands to other clients (Debian's PgBouncer
  1.18 cannot track them). ``DATABASE_PREPARED_STATEMENTS=off`` turns them off anywhere.

Opting out (reads whose best plan depends on their values): PostgreSQL's generic plan
is chosen from estimates made without the values, so a read whose cost swings with its
value (a name search ``ILIKE '%a%'`` against ``'%zq%'``, a common word against a rare
one) may be kept on the plan of the wrong case - the search's common word took 1.9 s
instead of 0.3 s at 200,000 items. Two ways to keep such a read planned for its values,
whether or not a transaction is open:

- ``planned_for_values(queryset)``: the queryset carries ``MARKER`` in its SQL (a ``WHERE
  true`` PostgreSQL folds away), so it is never prepared wherever and whenever it is
  evaluated - a selector returns it, a view pages or counts it later. Raw SQL can put
  ``MARKER`` in its text.
- ``with unprepared():``: no statement run inside the block (any alias, this thread or
  task) is prepared or executed as a prepared one.

What the debug tools see (``connection.queries``, ``CaptureQueriesContext``) is the
statement with its values, as before, not ``EXECUTE``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

import psycopg2
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from psycopg2 import errors, extensions

THRESHOLD = 2
CAPACITY = 100
MARKER = "/* oae:unprepared */"  # in a statement's text: never prepared

_unprepared: ContextVar[bool] = ContextVar("oae_unprepared", default=False)
Rows = TypeVar("Rows", bound=QuerySet)


@contextmanager
def unprepared() -> Iterator[None]:
    """Within the block, statements run as plain ones, planned for their values: none is
    prepared, and none already prepared on the connection is executed as such."""
    token = _unprepared.set(True)
    try:
        yield
    finally:
        _unprepared.reset(token)


def planned_for_values(queryset: Rows) -> Rows:
    """``queryset`` marked so that its statements (the rows, a count, a keyset page of it)
    are never prepared: PostgreSQL plans each for its values."""
    # A constant of our own, no value in it.
    return queryset.filter(RawSQL(f"true {MARKER}", (), output_field=BooleanField()))  # noqa: S611


def positional(query: str) -> str | None:
    """``query`` with psycopg2's ``%s`` as ``$1, $2, ...`` and ``%%`` as ``%``; None when
    it has anything else after a ``%`` (named parameters) or a ``$`` of its own (dollar
    quoting, or a positional parameter the numbering would collide with)."""
    if "$" in query:
        return None
    parts: list[str] = []
    number = 0
    start = 0
    index = query.find("%")
    while index != -1:
        following = query[index + 1 : index + 2]
        parts.append(query[start:index])
        if following == "s":
            number += 1
            parts.append(f"${number}")
        elif following == "%":
            parts.append("%")
        else:
            return None
        start = index + 2
        index = query.find("%", start)
    parts.append(query[start:])
    return "".join(parts)


class Statements:
    """One connection's prepared statements: SQL text -> name (or unpreparable)."""

    def __init__(self) -> None:
        self.names: OrderedDict[str, str] = OrderedDict()
        self.refused: set[str] = set()
        self.seen: dict[str, int] = {}
        self.counter = 0

    def forget(self, query: str) -> str | None:
        return self.names.pop(query, None)


class PreparingCursor(extensions.cursor):
    """A cursor that runs repeated parameterised SELECTs as prepared statements."""

    _shown: tuple[str, object] | None = None

    @property
    def query(self):  # what Django's last_executed_query shows: the statement, not EXECUTE
        if self._shown is not None:
            sql, params = self._shown
            return self.mogrify(sql, params)
        return super().query

    def execute(self, query, vars=None):
        self._shown = None
        if (
            not vars
            or self.name is not None  # a server-side cursor: DECLARE ... FOR <query>
            or not isinstance(query, str)
            or not isinstance(vars, list | tuple)
            or _unprepared.get()
        ):
            return super().execute(query, vars)
        head = query[:6]
        if head != "SELECT" and head.upper() != "SELECT":
            return super().execute(query, vars)
        statements: Statements = self.connection.statements
        name = statements.names.get(query)
        if name is None:
            name = self._prepare(statements, query)
            if name is None:
                return super().execute(query, vars)
        else:
            statements.names.move_to_end(query)
        placeholders = ", ".join(["%s"] * len(vars))
        try:
            result = super().execute(f"EXECUTE {name}({placeholders})", vars)
        except errors.FeatureNotSupported:
            # "cached plan must not change result type": the table changed under it.
            statements.forget(query)
            self._deallocate(name)
            if not self._may_prepare():
                raise
            return super().execute(query, vars)
        self._shown = (query, vars)
        return result

    def _may_prepare(self) -> bool:
        connection = self.connection
        return (
            connection.autocommit
            and connection.info.transaction_status == extensions.TRANSACTION_STATUS_IDLE
        )

    def _deallocate(self, name: str) -> None:
        if self._may_prepare():
            super().execute(f"DEALLOCATE {name}")

    def _prepare(self, statements: Statements, query: str) -> str | None:
        if query in statements.refused or MARKER in query:
            return None
        seen = statements.seen.get(query, 0) + 1
        if seen < THRESHOLD or not self._may_prepare():
            if len(statements.seen) >= CAPACITY * 4:
                statements.seen.clear()
            statements.seen[query] = seen
            return None
        statements.seen.pop(query, None)
        text = positional(query)
        if text is None:
            statements.refused.add(query)
            return None
        while len(statements.names) >= CAPACITY:
            _oldest, old_name = statements.names.popitem(last=False)
            self._deallocate(old_name)
        statements.counter += 1
        name = f"oae_{statements.counter}"
        try:
            super().execute(f"PREPARE {name} AS {text}")
        except psycopg2.Error:
            # A statement PostgreSQL will not prepare (a parameter of unknown type):
            # in autocommit nothing else is affected; it runs unprepared from now on.
            if len(statements.refused) < CAPACITY * 4:
                statements.refused.add(query)
            return None
        statements.names[query] = name
        return name


class PreparingConnection(extensions.connection):
    """A psycopg2 connection holding its prepared statements (its cursors: ``PreparingCursor``,
    set by ``cursor_factory``)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.statements = Statements()
