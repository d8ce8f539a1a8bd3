"""Compiled SQL of a hot list, learned once per process and replayed with the viewer's id.

A list endpoint builds the same queryset for every caller: the permission expression,
joins, deferred columns and ordering, with only the viewer's id changing. Django builds
the queryset (``filter``, ``annotate``, ``select_related``, ``defer``) and compiles it
to SQL on every request; for the content library that costs about three times the
query's own running time (``select_related`` with three joins and their deferred
columns is the bulk of it). Here a list is built and compiled once per *shape* and
process, and later requests of the same shape only put their viewer's id into the
learned parameters and run the learned text (prepared by ``config.db.prepared`` like
any other read), through Django's own row-to-model machinery (``ModelIterable``: the
same objects, joined rows and annotations as the queryset would give; ``ValuesIterable``
for a list built with ``.values()``: the same dicts).

How a shape is learned, safely:

- ``build(viewer)`` returns the queryset for ``viewer``; it is called twice, once for
  the real viewer and once for a copy of it with another id (``STAND_IN_ID``). Both are
  compiled; the shape is kept only when the two SQL texts are identical and the two
  parameter lists differ exactly where one holds the viewer's id and the other the
  stand-in's (none: a list that depends on the viewer only through its flags, such as
  the directory). Every other parameter is a constant of the shape. Anything else that
  differs (a value derived from the id, an id inlined into the text) and the shape is
  refused: that list is built and compiled per request as before.
- The key is the caller's ``shape`` (everything else the queryset depends on: the
  endpoint, its filters' values) plus what permission code may branch on: the
  viewer's class and its ``is_authenticated``, ``is_active`` and ``is_staff``. A
  builder must depend on the viewer through nothing else (tests compare each cached
  list with a freshly built one for members, admins and other institutions).
- The learned text has no schema in it (tables are found through ``search_path``), so
  one shape serves every institution; nothing of any row is cached, only SQL.
- A shape learned from a statement Django refuses to compile (``EmptyResultSet``)
  is not kept.

``rows_of(shape, subject, build)`` learns the same way a list of one object's rows (an
item's comments, shares, versions) that depends on that object only through its id: a
stand-in copy of the object with ``STAND_IN_ID``, the same check; its key is ``shape`` and
the object's class (no viewer: ``build`` must not read one).

``SQL_SHAPES_CACHED`` (env ``DATABASE_SQL_SHAPES``, default on) turns the replay off.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections
from django.db.models import Model, QuerySet

# An id no real row has in a test or a bench (well inside a 32-bit integer column, so
# Django's out-of-range lookups do not turn it into an empty condition).
STAND_IN_ID = 2_000_000_011
# A text no real value is (for a read by the viewer and one text, such as a public id).
STAND_IN_TEXT = "stand-in-text-5f0c1d7e"
CAPACITY = 500
_REFUSED = object()


class _Shape:
    __slots__ = (
        "compiler",
        "db",
        "fields",
        "iterable",
        "model",
        "query",
        "slots",
        "sql",
        "template",
        "text_slots",
    )

    def __init__(
        self,
        queryset: QuerySet,
        compiler,
        sql: str,
        template: list,
        slots: list,
        text_slots: list,
    ):
        self.model = queryset.model
        self.db = queryset.db
        self.query = queryset.query
        # Models, or ``.values()`` dicts (the rows' iterable and its fields, as built).
        self.iterable = queryset._iterable_class
        self.fields = queryset._fields
        self.compiler = compiler
        self.sql = sql
        self.template = template
        self.slots = slots  # indexes of the parameters that are the viewer's id
        self.text_slots = text_slots  # ... and the text's (``rows_where``)

    def params(self, viewer_id: int, text: str | None) -> list:
        params = list(self.template)
        for index in self.slots:
            params[index] = viewer_id
        for index in self.text_slots:
            params[index] = text
        return params


class _Replay(QuerySet):
    """A queryset evaluated with a learned compiler and text (``ModelIterable`` as usual,
    or ``ValuesIterable`` when the list was built with ``.values()``)."""


def _compile(queryset: QuerySet):
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    return compiler, sql, list(params)


class SqlShapes:
    """Learned list shapes of this process (an LRU of ``CAPACITY``)."""

    def __init__(self) -> None:
        self._shapes: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._shapes.clear()

    def __len__(self) -> int:
        return len(self._shapes)

    def rows(
        self, shape: Hashable, viewer, build: Callable[[Any], QuerySet]
    ) -> list[Model] | list[dict]:
        """``list(build(viewer))``, from the learned shape when there is one (models, or
        dicts for a list built with ``.values()``)."""
        if not isinstance(getattr(viewer, "pk", None), int):
            return list(build(viewer))
        key = (
            shape,
            type(viewer),
            bool(viewer.is_authenticated),
            bool(getattr(viewer, "is_active", False)),
            bool(getattr(viewer, "is_staff", False)),
        )
        return self._rows(key, viewer, build)

    def rows_of(
        self, shape: Hashable, subject: Model, build: Callable[[Any], QuerySet]
    ) -> list[Model] | list[dict]:
        """``list(build(subject))`` for a list of one object's rows (an item's comments,
        say) that depends on ``subject`` only through its id, learned the same way with a
        stand-in of ``subject`` (``shape`` names everything else it depends on; nothing
        of the viewer may go into it)."""
        if not isinstance(getattr(subject, "pk", None), int):
            return list(build(subject))
        return self._rows((shape, type(subject)), subject, build)

    def rows_where(
        self, shape: Hashable, viewer, text: str, build: Callable[[Any, str], QuerySet]
    ) -> list[Model] | list[dict]:
        """``list(build(viewer, text))`` for a read by ``viewer`` of the rows a ``text``
        names (an item by its public id): learned as ``rows`` does, with a stand-in text
        too; the text's parameters are slots like the viewer's id."""
        if not isinstance(getattr(viewer, "pk", None), int) or text == STAND_IN_TEXT:
            return list(build(viewer, text))
        key = (
            shape,
            "where",
            type(viewer),
            bool(viewer.is_authenticated),
            bool(getattr(viewer, "is_active", False)),
            bool(getattr(viewer, "is_staff", False)),
        )
        return self._rows(key, viewer, lambda who, value=text: build(who, value), text=text)

    def _rows(
        self, key: Hashable, subject, build: Callable[..., QuerySet], text: str | None = None
    ) -> list:
        if not settings.SQL_SHAPES_CACHED or subject.pk == STAND_IN_ID:
            return list(build(subject))
        with self._lock:
            learned = self._shapes.get(key)
            if learned is not None:
                self._shapes.move_to_end(key)
        if learned is _REFUSED:
            return list(build(subject))
        if learned is None:
            learned = self._learn(subject, build, text)
            with self._lock:
                self._shapes[key] = learned
                while len(self._shapes) > CAPACITY:
                    self._shapes.popitem(last=False)
            if learned is _REFUSED:
                return list(build(subject))
        return list(self._replay(learned, learned.params(subject.pk, text)))

    def _learn(self, subject, build: Callable[..., QuerySet], text: str | None = None):
        stand_in = copy.copy(subject)
        stand_in.pk = STAND_IN_ID
        real = build(subject)
        other = build(stand_in) if text is None else build(stand_in, STAND_IN_TEXT)
        try:
            compiler, sql, params = _compile(real)
            _other_compiler, other_sql, other_params = _compile(other)
        except (EmptyResultSet, FullResultSet):
            return _REFUSED
        if sql != other_sql or len(params) != len(other_params):
            return _REFUSED
        slots, text_slots = [], []
        for index, (mine, theirs) in enumerate(zip(params, other_params, strict=True)):
            if mine == theirs and type(mine) is type(theirs):
                continue
            if mine == subject.pk and theirs == STAND_IN_ID and type(mine) is int:
                slots.append(index)
                continue
            if text is not None and mine == text and theirs == STAND_IN_TEXT and type(mine) is str:
                text_slots.append(index)
                continue
            return _REFUSED
        return _Shape(real, compiler, sql, params, slots, text_slots)

    @staticmethod
    def _replay(learned: _Shape, params: list) -> QuerySet:
        compiler = copy.copy(learned.compiler)
        compiler.connection = connections[learned.db]  # this thread's connection
        compiler.as_sql = lambda *args, **kwargs: (learned.sql, params)
        query = copy.copy(learned.query)
        query.get_compiler = lambda *args, **kwargs: compiler
        replay = _Replay(model=learned.model, query=query, using=learned.db)
        replay._iterable_class = learned.iterable
        replay._fields = learned.fields
        return replay


shapes = SqlShapes()
