"""/manage/audit: what the institution's admins changed, newest first."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from tenant_apps.institution.access import admin_required
from tenant_apps.institution.selectors import admin_actions_page

AUDIT_PAGE = 50


@admin_required
def audit_page(request: HttpRequest) -> HttpResponse:
    before = request.GET.get("before")
    try:
        actions, next_before = admin_actions_page(before=before, size=AUDIT_PAGE)
    except ValueError:
        raise Http404(_("No such page.")) from None
    return render(
        request,
        "institution/manage_audit.html",
        {"actions": actions, "next_before": next_before},
    )
