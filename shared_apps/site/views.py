"""The platform's own site (the bare PLATFORM_DOMAIN): what it is, and where to go."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from shared_apps.site.selectors import FIND_MIN_LENGTH, institutions_find


def _port(request: HttpRequest) -> str:
    """The request's port as a suffix (":8000"), so links to institutions work in development."""
    host = request.get_host()
    return ":" + host.rsplit(":", 1)[1] if ":" in host and not host.endswith("]") else ""


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "site/home.html", {"platform_domain": settings.PLATFORM_DOMAIN})


@require_GET
def find(request: HttpRequest) -> HttpResponse:
    """Find your institution by its name or your e-mail address (GET ?q=)."""
    query = request.GET.get("q", "").strip()[:200]
    too_short = bool(query) and len(query) < FIND_MIN_LENGTH
    found = institutions_find(query) if query and not too_short else []
    return render(
        request,
        "site/find.html",
        {
            "query": query,
            "too_short": too_short,
            "found": found,
            "searched": bool(query) and not too_short,
            "scheme": request.scheme,
            "port": _port(request),
            "min_length": FIND_MIN_LENGTH,
            "platform_domain": settings.PLATFORM_DOMAIN,
        },
    )
