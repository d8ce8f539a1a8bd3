"""The institution's colours, as a stylesheet."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from tenant_apps.institution.branding import theme_css
from tenant_apps.institution.selectors import institution_profile


@require_GET
def theme(request: HttpRequest) -> HttpResponse:
    """/theme.css: the brand colour and its readable text colour, as CSS custom properties.

    Linked as /theme.css?v=<colour>, so a browser may keep it for a year: a new colour is a
    new address. A stylesheet rather than a <style> block so that the Content-Security-Policy
    can forbid inline styles.
    """
    response = HttpResponse(
        theme_css(institution_profile().primary_colour), content_type="text/css; charset=utf-8"
    )
    response["Cache-Control"] = (
        "public, max-age=31536000, immutable" if request.GET.get("v") else "no-cache"
    )
    return response
