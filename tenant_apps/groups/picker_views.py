"""The picker's suggestions, as HTML for the forms (htmx) and as JSON for API clients, and
the helpers views use to read and re-show a picker field."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from tenant_apps.groups.picker import (
    KINDS,
    MAX_QUERY,
    PickerError,
    picker_describe,
    picker_resolve,
    picker_suggestions,
    split_names,
)

_FIELD = re.compile(r"^[a-z][a-z_]{0,29}$")


def _kinds(raw: str | None) -> tuple[str, ...]:
    wanted = tuple(k for k in (raw or "").split(",") if k in KINDS)
    return wanted or KINDS


@login_required(login_url="signin")
@require_GET
def suggestions_fragment(request: HttpRequest) -> HttpResponse:
    """GET /picker/suggestions?field=to&kind=person,group&to=bo: <li> options for the field."""
    field = request.GET.get("field", "")
    if not _FIELD.match(field):
        field = "q"
    query = request.GET.get(field, request.GET.get("q", ""))[:MAX_QUERY]
    return render(
        request,
        "groups/_picker_options.html",
        {
            "field": field,
            "multiple": request.GET.get("multiple") != "0",
            "query": query.strip(),
            "suggestions": picker_suggestions(
                viewer=request.user, query=query, kinds=_kinds(request.GET.get("kind"))
            ),
        },
    )


class SuggestionOutput(serializers.Serializer):
    id = serializers.CharField(help_text=_("u_... for a person, g_... for a group"))
    # A plain string (not an enum in the schema: "kind" names other enums already).
    kind = serializers.CharField(help_text=_("person or group"))
    name = serializers.CharField()
    picture = serializers.CharField(allow_null=True)


class SuggestionsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="part of a name (1 to 100 characters)"),
            OpenApiParameter("kind", str, description="person, group or person,group (default)"),
        ],
        responses=SuggestionOutput(many=True),
        summary="People and groups whose visible name contains q (names and pictures only)",
    )
    def get(self, request):
        found = picker_suggestions(
            viewer=request.user,
            query=request.query_params.get("q", "")[:MAX_QUERY],
            kinds=_kinds(request.query_params.get("kind")),
        )
        # The API's list shape (a page); suggestions are one short page, never a next one.
        return Response({"results": SuggestionOutput(found, many=True).data, "next": None})


def picker_read(request: HttpRequest, field: str, *, kinds: tuple[str, ...] = KINDS) -> list[str]:
    """The ids a picker field of the POSTed form stands for (PickerError when a typed name
    fits no one or several)."""
    return picker_resolve(
        viewer=request.user,
        typed=request.POST.get(field, "")[:5000],
        picked=request.POST.getlist(f"{field}_pick")[:100],
        kinds=kinds,
    )


def picker_state(request: HttpRequest, field: str, *, error: PickerError | None = None) -> dict:
    """What a picker field shows again after a failed submission: the picks kept, the typed
    names that did not resolve, and the choices for the ambiguous ones."""
    picked = [i for i in request.POST.getlist(f"{field}_pick")[:100] if i]
    typed = request.POST.get(field, "")[:5000]
    choices = error.choices if error else {}
    if choices:
        typed = ", ".join(name for name in split_names(typed) if name not in choices)
    return {
        "chosen": picker_describe(viewer=request.user, ids=picked),
        "typed": typed,
        "choices": choices,
        "errors": list(error.messages) if error else [],
    }
