"""Trash API: ``GET /api/v1/trash/`` and ``POST /api/v1/trash/{id}/restore``."""

from __future__ import annotations

from urllib.parse import urlencode

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tenant_apps.trash.selectors import KINDS, TrashEntry, trash_page
from tenant_apps.trash.services import trash_restore

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


class TrashEntryDoc(serializers.Serializer):
    type = serializers.ChoiceField(KINDS)
    id = serializers.CharField()
    title = serializers.CharField()
    deleted_at = serializers.DateTimeField()
    purge_at = serializers.DateTimeField(help_text="when it is deleted for good")


class TrashPageDoc(serializers.Serializer):
    results = TrashEntryDoc(many=True)
    next = serializers.URLField(allow_null=True)


class RestoredDoc(serializers.Serializer):
    type = serializers.ChoiceField(KINDS)
    id = serializers.CharField()
    title = serializers.CharField()


def _entry(entry: TrashEntry) -> dict:
    field = serializers.DateTimeField()
    return {
        "type": entry.kind,
        "id": entry.public_id,
        "title": entry.title,
        "deleted_at": field.to_representation(entry.deleted_at),
        "purge_at": field.to_representation(entry.purge_at),
    }


def _limit(request: Request) -> int:
    try:
        return max(1, min(MAX_LIMIT, int(request.query_params.get("limit", DEFAULT_LIMIT))))
    except ValueError:
        return DEFAULT_LIMIT


class TrashApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("cursor", str, description="from `next`"),
            OpenApiParameter("limit", int, description=f"1 to {MAX_LIMIT} (default 25)"),
        ],
        responses=TrashPageDoc,
        summary="What the caller may restore (items, folders, groups they manage), newest first",
    )
    def get(self, request: Request) -> Response:
        limit = _limit(request)
        entries, cursor = trash_page(
            viewer=request.user, cursor=request.query_params.get("cursor"), size=limit
        )
        next_url = None
        if cursor:
            next_url = request.build_absolute_uri(
                request.path + "?" + urlencode({"cursor": cursor, "limit": limit})
            )
        return Response({"results": [_entry(e) for e in entries], "next": next_url})


class TrashRestoreApi(APIView):
    @extend_schema(
        request=None, responses=RestoredDoc, summary="Restore an item, folder or group (managers)"
    )
    def post(self, request: Request, public_id: str) -> Response:
        obj = trash_restore(actor=request.user, public_id=public_id[:40])
        kind = {"c": "content", "f": "folder", "g": "group"}[obj.public_id[0]]
        return Response({"type": kind, "id": obj.public_id, "title": obj.title})
