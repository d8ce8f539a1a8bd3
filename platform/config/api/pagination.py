"""Cursor (keyset) pagination: ``{"results": [...], "next": url | null}``.

A page costs the same whatever its depth: the cursor encodes the last key seen,
never an offset. Views order by a unique key (``ordering``) so pages are stable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.db.models import QuerySet
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from config.db.shapes import shapes


class CursorPagination(pagination.CursorPagination):
    page_size = 25
    page_size_query_param = "limit"
    max_page_size = 100
    # Views override with a unique key, e.g. ("-created", "-id").
    ordering = ("-id",)

    def get_paginated_response(self, data) -> Response:
        return Response({"results": data, "next": self.get_next_link()})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["results", "next"],
            "properties": {
                "results": schema,
                "next": {"type": "string", "format": "uri", "nullable": True},
            },
        }

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        # A forged position with a NUL byte would reach PostgreSQL and fail there.
        if cursor is not None and cursor.position is not None and "\x00" in cursor.position:
            raise NotFound(self.invalid_cursor_message)
        return cursor

    def paginate_queryset(self, queryset, request, view=None):
        self._check_position(queryset, request, view)
        return super().paginate_queryset(queryset, request, view)

    def _check_position(self, queryset, request, view) -> None:
        """Refuse a forged position that does not fit the ordering field ("abc" for an id)."""
        cursor = self.decode_cursor(request)
        if cursor is None or cursor.position is None:
            return
        name = self.get_ordering(request, queryset, view)[0].lstrip("-")
        try:
            field = queryset.model._meta.get_field(name)
        except FieldDoesNotExist:
            return  # a related path: the database will judge it
        try:
            value = field.to_python(cursor.position)
        except (DjangoValidationError, ValueError, TypeError):
            raise NotFound(self.invalid_cursor_message) from None
        if isinstance(value, int):
            low, high = connection.ops.integer_field_range(field.get_internal_type())
            if (low is not None and value < low) or (high is not None and value > high):
                raise NotFound(self.invalid_cursor_message)

    def first_page(self, results: list, request, view=None) -> list:
        """What ``paginate_queryset`` does for a request without a cursor, given the
        rows it would have read (``page_size + 1`` of them at most, in ``ordering``)."""
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, None, view)
        self.cursor = None
        self.page = list(results[: self.page_size])
        self.has_next = len(results) > len(self.page)
        if self.has_next:
            self.next_position = self._get_position_from_instance(results[-1], self.ordering)
        self.has_previous = False
        if self.has_next and self.template is not None:
            self.display_page_controls = True
        return self.page

    def get_page_size(self, request) -> int:
        # A bad ?limit= falls back to the default rather than failing the read.
        return super().get_page_size(request) or self.page_size


def cursor_page(view, rows, ordering: Sequence[str], each: Callable[[Any], Any]) -> Response:
    """The API's answer for a list: one cursor page of ``rows`` in ``ordering`` (a unique
    key), each row as ``each(row)`` says, for ``view`` (an APIView; its request)."""
    paginator = CursorPagination()
    paginator.ordering = tuple(ordering)
    page = paginator.paginate_queryset(rows, view.request, view=view)
    return paginator.get_paginated_response([each(row) for row in page])


def viewer_page(
    view,
    build: Callable[[Any], QuerySet],
    ordering: Sequence[str],
    each: Callable[[Any], Any],
    *,
    shape: str,
) -> Response:
    """``cursor_page`` of ``build(viewer)`` (the request's user): the same answer, but a
    first page (no cursor) of a signed-in viewer runs the list's SQL as learned for
    ``shape`` (``config.db.shapes``: built and compiled once per process, then only the
    viewer's id changes). ``build`` must depend on its viewer only through the viewer's
    id and flags (see ``config.db.shapes``), and ``shape`` name everything else it
    depends on (callers use it for lists without filters)."""
    request = view.request
    viewer = request.user
    paginator = CursorPagination()
    paginator.ordering = tuple(ordering)
    if request.query_params.get(paginator.cursor_query_param) is not None or not getattr(
        viewer, "is_authenticated", False
    ):
        return cursor_page(view, build(viewer), ordering, each)
    size = paginator.get_page_size(request)
    key = (shape, tuple(ordering), size)
    rows = shapes.rows(key, viewer, lambda who: build(who).order_by(*ordering)[: size + 1])
    page = paginator.first_page(rows, request, view=view)
    return paginator.get_paginated_response([each(row) for row in page])
