"""The terms-of-use interstitial: a signed-in person who has not accepted the institution's
current terms sees /terms before any other page.

Pages that stay open: the terms page itself, signing out, one's own account pages (so
that a person who does not accept can still export their data or ask for erasure),
the institution's administration (/manage/: an institution is never locked out of
itself), static files and the theme. The API is not redirected: its endpoints answer
403 with the problem type ``.../terms-not-accepted`` (``account.api.TermsAccepted``).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from tenant_apps.account.selectors import terms_pending_for
from tenants.models import Tenant

OPEN_PREFIXES = (
    "/terms",
    "/signout",
    "/account/",
    "/manage/",
    "/api/",
    "/static/",
    "/theme.css",
    "/institution/logo",
    "/__",
)


class TermsOfUseMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            isinstance(getattr(request, "tenant", None), Tenant)
            and request.tenant.schema_name != "public"
            and not request.path.startswith(OPEN_PREFIXES)
            and request.user.is_authenticated
            and terms_pending_for(request.user, request.session) is not None
        ):
            return HttpResponseRedirect("/terms?" + urlencode({"next": request.get_full_path()}))
        return self.get_response(request)
