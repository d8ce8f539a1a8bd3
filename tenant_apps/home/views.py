"""The institution's home page: a welcome for visitors, a dashboard for its people."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenant_apps.home.selectors import dashboard, first_run_checklist
from tenant_apps.institution.selectors import institution_profile


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "home/welcome.html")
    context = dashboard(request.user)
    if request.user.is_staff and request.user.is_active:
        steps = first_run_checklist(institution_profile())
        if not all(step.done for step in steps):
            context["checklist"] = steps
    return render(request, "home/dashboard.html", context)
