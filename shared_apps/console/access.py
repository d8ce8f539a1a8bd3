"""Who may use the console and the platform API, and the one way to fetch an institution.

A platform admin is an active, staff user of the *public* schema. An institution's
own admins live in their institution's schema: their passwords, sessions and tokens
are unknown here, so they are anonymous on the platform host whatever they send.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import quote

from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_tenants.utils import get_public_schema_name

from shared_apps.console.selectors import console_tenant
from tenant_apps.people.two_factor import SESSION_VERIFIED_AT
from tenants.models import Tenant


def is_platform_admin(user) -> bool:
    # The schema check is belt and braces: console URLs exist only on the platform host.
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and connection.schema_name == get_public_schema_name()
    )


def platform_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Console views: anonymous -> the sign-in page; signed in but not an admin -> 403."""

    @wraps(view)
    @never_cache
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("console:login"))
        if not is_platform_admin(request.user):
            return render(request, "console/forbidden.html", status=403)
        if SESSION_VERIFIED_AT not in request.session:
            # Platform admins always sign in with a second factor (enrolling first if they
            # have none), also in sessions begun before it was required.
            return redirect(f"/2fa/verify?next={quote(request.get_full_path())}")
        return view(request, *args, **kwargs)

    return wrapped


def tenant_or_404(slug: str) -> Tenant:
    """The institution called ``slug`` (any status), or Http404 (a 404 page or problem)."""
    tenant = console_tenant(slug)
    if tenant is None:
        raise Http404(_("No institution with that slug."))
    return tenant
