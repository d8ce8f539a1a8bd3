"""Search and World pages: a plain GET form (works without JavaScript) and the explore page."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenant_apps.search.forms import SearchForm, resolve_filters
from tenant_apps.search.query import Query
from tenant_apps.search.selectors import TYPES, log_scale, search, search_language, world

PAGE_SIZE = 20


def search_page(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    context: dict = {"form": form, "result": None}
    if not request.GET:
        return render(request, "search/results.html", context)
    if not form.is_valid():
        return render(request, "search/results.html", context, status=400)
    data = form.cleaned_data
    try:
        query = Query.parse(data["q"], config=search_language())
        params = resolve_filters(request.user, {**data, "limit": PAGE_SIZE})
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
        return render(request, "search/results.html", context, status=400)
    result = search(
        viewer=request.user,
        query=query,
        type=data["type"],
        filters=params.filters,
        offset=params.offset,
        limit=PAGE_SIZE,
    )
    base = {k: v for k, v in request.GET.items() if k != "offset" and v}

    def link(**changes) -> str:
        args = {**base, **changes}
        return "?" + urlencode({k: v for k, v in args.items() if v not in ("", None)})

    context.update(
        result=result,
        query=query,
        next_link=link(offset=result.next_offset) if result.next_offset is not None else None,
        type_links=[
            (t, link(type=t if t != "all" else "", offset=""), result.counts.get(t))
            for t in TYPES
            if t != "messages" or request.user.is_authenticated
        ],
        facet_links={
            name: [
                {
                    **entry,
                    "link": link(**{_facet_param(name): _facet_value(name, entry)}, offset=""),
                }
                for entry in entries
            ]
            for name, entries in result.facets.items()
        },
        suggestion_link=link(q=result.did_you_mean, offset="") if result.did_you_mean else None,
        clear_link=link(kind="", tag="", owner="", group="", after="", before="", offset=""),
    )
    return render(request, "search/results.html", context)


def _facet_param(name: str) -> str:
    return "after" if name == "date" else name


def _facet_value(name: str, entry: dict) -> str:
    if name != "date":
        return entry["value"]
    from datetime import timedelta

    from django.utils import timezone

    days = {"week": 7, "month": 31, "year": 366}[entry["value"]]
    return (timezone.now() - timedelta(days=days)).date().isoformat()


def world_page(request: HttpRequest) -> HttpResponse:
    explore = world(viewer=request.user)
    top = max((t["count"] for t in explore["tags"]), default=0)
    for tag in explore["tags"]:
        tag["size"] = round((log_scale(tag["count"], top) - 1) * 3) + 1  # classes 1 to 4
    return render(request, "search/world.html", {"world": explore})
