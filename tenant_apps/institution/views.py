"""The institution's home page (the UI shell arrives with the people issue)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenant_apps.institution.selectors import institution_profile


def home(request: HttpRequest) -> HttpResponse:
    profile = institution_profile()
    return render(
        request,
        "institution/home.html",
        {"profile": profile, "brand_colour": profile.primary_colour},
    )
