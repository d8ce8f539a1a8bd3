"""The platform's own site (the bare PLATFORM_DOMAIN)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "site/home.html", {"platform_domain": settings.PLATFORM_DOMAIN})
