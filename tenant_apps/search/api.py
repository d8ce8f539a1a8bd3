"""Search API: ``/api/v1/search/`` (results with filters and counts) and ``/suggest``.

Anyone may search; visitors see only what is public. Results carry opaque ids and
the fields the caller may see, never a username or an e-mail address. Highlighted
``*_html`` fields are escaped HTML with only ``<mark>`` elements added.
"""

from __future__ import annotations

from urllib.parse import urlencode

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.inputs import validated
from tenant_apps.search.forms import SearchParams, resolve_filters
from tenant_apps.search.query import Query
from tenant_apps.search.selectors import TYPES, search, search_language, suggest


class SearchInput(serializers.Serializer):
    q = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, trim_whitespace=False
    )
    type = serializers.ChoiceField(
        list(TYPES),
        required=False,
        default="all",
    )
    kind = serializers.ChoiceField(["file", "link", "document"], required=False)
    tag = serializers.CharField(max_length=50, required=False)
    owner = serializers.CharField(max_length=40, required=False)
    group = serializers.CharField(max_length=40, required=False)
    after = serializers.DateField(required=False)
    before = serializers.DateField(required=False)
    offset = serializers.IntegerField(min_value=0, max_value=1000, required=False, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=100, required=False, default=20)


def _params(request: Request) -> tuple[Query, str, SearchParams]:
    data = validated(SearchInput, request.query_params)
    # A bad query or filter raises Django's ValidationError: a 400 problem by field.
    query = Query.parse(data.get("q", ""), config=search_language())
    return query, data["type"], resolve_filters(request.user, data)


def _result_json(row: dict) -> dict:
    out = {k: v for k, v in row.items() if k not in ("created", "modified")}
    for key in ("created", "modified"):
        if row.get(key) is not None:
            out[key] = row[key].isoformat()
    return out


class SearchApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description='words, "a phrase", -exclusion, or'),
            OpenApiParameter(
                "type",
                str,
                description="all, content, people, groups, discussions, folders, messages",
            ),
            OpenApiParameter("kind", str, description="content: file, link or document"),
            OpenApiParameter("tag", str),
            OpenApiParameter("owner", str, description="a person's id (u_...)"),
            OpenApiParameter("group", str, description="a group's id (g_...): items shared"),
            OpenApiParameter("after", str, description="created on or after (YYYY-MM-DD)"),
            OpenApiParameter("before", str, description="created on or before (YYYY-MM-DD)"),
            OpenApiParameter("offset", int),
            OpenApiParameter("limit", int),
        ],
        responses=inline_serializer(
            "SearchOutput",
            {
                "results": serializers.ListField(child=serializers.DictField()),
                "next": serializers.CharField(allow_null=True),
                "total": serializers.IntegerField(),
                "total_capped": serializers.BooleanField(),
                "counts": serializers.DictField(),
                "facets": serializers.DictField(),
                "did_you_mean": serializers.CharField(allow_null=True),
            },
        ),
        summary="Search what the caller may see",
    )
    def get(self, request: Request) -> Response:
        query, type_, params = _params(request)
        result = search(
            viewer=request.user,
            query=query,
            type=type_,
            filters=params.filters,
            offset=params.offset,
            limit=params.limit,
        )
        next_url = None
        if result.next_offset is not None:
            args = {k: v for k, v in request.query_params.items() if k != "offset"}
            args["offset"] = result.next_offset
            next_url = request.build_absolute_uri(f"{request.path}?{urlencode(args)}")
        return Response(
            {
                "results": [_result_json(r) for r in result.results],
                "next": next_url,
                "total": result.total,
                "total_capped": result.capped,
                "counts": result.counts,
                "facets": result.facets,
                "did_you_mean": result.did_you_mean,
            }
        )


class SuggestApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="what has been typed so far")],
        responses=inline_serializer(
            "SuggestOutput",
            {"results": serializers.ListField(child=serializers.DictField())},
        ),
        summary="Suggestions while typing (people, groups, content)",
    )
    def get(self, request: Request) -> Response:
        data = validated(SearchInput, request.query_params)
        query = Query.parse(data.get("q", ""), config=search_language())
        return Response({"results": suggest(viewer=request.user, query=query)})
