"""The sign-in page (every method the institution allows: local passwords, LDAP, OpenID
Connect) and signing out."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenant_apps.directory.oidc import oidc_settings_enabled
from tenant_apps.directory.services import signin_methods
from tenant_apps.people.forms import SigninForm
from tenant_apps.people.signin import SigninFailed, SigninRefused, signin_with_password


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


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
            "sso_failed": request.method == "GET" and request.GET.get("sso") == "failed",
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
