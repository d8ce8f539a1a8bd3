"""Cursor (keyset) pagination: ``{"results": [...], "next": url | null}``.

A page costs the same whatever its depth: the cursor encodes the last key seen,
never an offset. Views order by a unique key (``ordering``) so pages are stable.
"""

from __future__ import annotations

from rest_framework import pagination
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

    def get_page_size(self, request) -> int:
        # A bad ?limit= falls back to the default rather than failing the read.
        return super().get_page_size(request) or self.page_size
