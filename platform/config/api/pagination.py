"""Cursor (keyset) pagination: ``{"results": [...], "next": url | null}``.

A page costs the same whatever its depth: the cursor encodes the last key seen,
never an offset. Views order by a unique key (``ordering``) so pages are stable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.response import Response


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

    def get_page_size(self, request) -> int:
        # A bad ?limit= falls back to the default rather than failing the read.
        return super().get_page_size(request) or self.page_size


def cursor_page(
    request,
    view,
    rows,
    *,
    ordering: Sequence[str],
    output: Callable[[list], list],
) -> Response:
    """The API's answer for a list: one cursor page of ``rows`` in ``ordering`` (a unique
    key), each row turned into its output by ``output(page)``."""
    paginator = CursorPagination()
    paginator.ordering = tuple(ordering)
    page = paginator.paginate_queryset(rows, request, view=view)
    return paginator.get_paginated_response(output(page))
