"""The sign-in page (every method the institution allows: local passwords, LDAP, OpenID
Connect) and signing out."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from config.redirects import local_target, requested_target
from tenant_apps.directory.oidc import oidc_settings_enabled
from tenant_apps.directory.saml import (
    BACKEND as SAML_BACKEND,
)
from tenant_apps.directory.saml import (
    SamlFailed,
    saml_finish,
    saml_settings_enabled,
    saml_start,
    sp_metadata_xml,
)
from tenant_apps.directory.services import signin_methods
from tenant_apps.people.forms import SigninForm
from tenant_apps.people.signin import SigninFailed, SigninRefused, signin_with_password

log = logging.getLogger(__name__)


def _safe_next(request: HttpRequest) -> str:
    return requested_target(request)


def signin(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_safe_next(request))
    form = SigninForm(request.POST or None)
    status, retry_after = 200, None
    if request.method == "POST":
        if form.is_valid():
            try:
                user = signin_with_password(
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password"],
                    address=request.META.get("REMOTE_ADDR"),
                    request=request,
                )
            except SigninRefused as refused:
                form.add_error(None, refused.message)
                status, retry_after = 429, refused.retry_after
            except SigninFailed:
                form.add_error(None, _("The username or password is not correct."))
                status = 400
            else:
                login(request, user)  # authenticate() named the backend that vouched
                return redirect(_safe_next(request))
        else:
            status = 400
    response = render(
        request,
        "directory/signin.html",
        {
            "form": form,
            "next": _safe_next(request),
            "methods": signin_methods(),
            "oidc": oidc_settings_enabled(),
            "saml": saml_settings_enabled(),
            "sso_failed": request.method == "GET" and request.GET.get("sso") == "failed",
            "saml_failed": request.method == "GET" and request.GET.get("saml") == "failed",
        },
        status=status,
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, _("You are signed out."))
    return redirect("/")


# --- SAML 2.0 (tenant_apps.directory.saml) ----------------------------------------------
@require_GET
def saml_metadata(request: HttpRequest) -> HttpResponse:
    """GET /saml/metadata: this institution's service provider metadata (its entity id)."""
    return HttpResponse(sp_metadata_xml(request), content_type="application/samlmetadata+xml")


@require_GET
def saml_begin(request: HttpRequest) -> HttpResponse:
    """GET /saml/start: off to the institution's identity provider (404 when it has none)."""
    row = saml_settings_enabled()
    if row is None:
        raise Http404(_("This institution has no SAML sign-in."))
    return redirect(saml_start(request, row, next_url=_safe_next(request)))


@csrf_exempt  # the identity provider's page posts here; the signed assertion is the proof
@require_POST
def saml_acs(request: HttpRequest) -> HttpResponse:
    """POST /saml/acs: the identity provider's signed answer (HTTP-POST binding)."""
    row = saml_settings_enabled()
    if row is None:
        raise Http404(_("This institution has no SAML sign-in."))
    try:
        user, next_url = saml_finish(request, row, request.POST.get("SAMLResponse", ""))
    except SamlFailed as failed:
        log.warning("SAML sign-in refused: %s", failed)
        return redirect("/signin?saml=failed")
    login(request, user, backend=SAML_BACKEND)
    return redirect(local_target(request, next_url))
