"""Sessions that still owe a second factor reach only its pages and signing out
(tenant_apps.people.two_factor says who owes one)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from config.api.problems import problem_response
from tenant_apps.people.two_factor import OPEN_PREFIXES, pending


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        owed = pending(request)
        if owed and not request.path.startswith(OPEN_PREFIXES) and request.user.is_authenticated:
            if request.path.startswith("/api/"):
                return problem_response(
                    403,
                    slug="second-factor-required",
                    detail=_(
                        "Finish signing in with your second factor first, or use an API token."
                    ),
                )
            target = "/2fa/verify" if owed == "verify" else "/2fa/enrol"
            return redirect(f"{target}?next={quote(request.get_full_path())}")
        return self.get_response(request)
