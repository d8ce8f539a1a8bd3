"""The institution's home page (the UI shell arrives with the people issue)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    # The profile comes from the context processor (one query per page).
    return render(request, "institution/home.html")
