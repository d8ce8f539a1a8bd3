"""/2fa/: setting up and using a second factor (institution hosts and the platform host)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from config.redirects import requested_target
from tenant_apps.people.two_factor import (
    enrolment_begin,
    enrolment_confirm,
    is_enrolled,
    on_platform,
    pending,
    recovery_codes_renew,
    second_factor_check,
    secret_base32,
    session_fresh,
    session_verified,
    two_factor_required,
)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text=gettext_lazy("From your authenticator app, or one of your recovery codes."),
    )


def _next(request: HttpRequest) -> str:
    return requested_target(request)


def _context(request: HttpRequest, **values) -> dict:
    platform = on_platform()
    return {
        "base_template": "console/base.html" if platform else "institution/shell.html",
        "signout_url": "/console/logout" if platform else "/signout",
        "next": _next(request),
        **values,
    }


def _signin_url() -> str:
    return "/console/login" if on_platform() else "/signin"


@never_cache
def verify(request: HttpRequest) -> HttpResponse:
    """GET, POST /2fa/verify: a code finishes signing in (or refreshes the second factor)."""
    if not request.user.is_authenticated:
        return redirect(_signin_url())
    if not is_enrolled(request.user):
        return redirect(f"/2fa/enrol?next={_next(request)}")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid() and second_factor_check(
            user=request.user, code=form.cleaned_data["code"]
        ):
            session_verified(request)
            return redirect(_next(request))
        form.add_error("code", _("This code is not right (or was used already). Try again."))
        status = 400
    return render(
        request,
        "people/two_factor_verify.html",
        _context(request, form=form, owed=pending(request) == "verify"),
        status=status,
    )


@never_cache
def enrol(request: HttpRequest) -> HttpResponse:
    """GET, POST /2fa/enrol: scan the secret into an authenticator app, confirm with a code;
    the recovery codes are shown once."""
    if not request.user.is_authenticated:
        return redirect(_signin_url())
    if is_enrolled(request.user) and not session_fresh(request) and pending(request) != "enrol":
        # Replacing a working authenticator needs the current one first.
        return redirect(f"/2fa/verify?next={request.path}")
    device = enrolment_begin(user=request.user)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        codes = enrolment_confirm(user=request.user, code=form.cleaned_data["code"])
        if codes is not None:
            session_verified(request)
            return render(request, "people/two_factor_codes.html", _context(request, codes=codes))
        form.add_error("code", _("This code is not right. Check the app's clock and try again."))
    if request.method == "POST":
        status = 400
    return render(
        request,
        "people/two_factor_enrol.html",
        _context(
            request,
            form=form,
            secret=secret_base32(device),
            uri=device.config_url,
            required=two_factor_required(request.user),
        ),
        status=status,
    )


@never_cache
def overview(request: HttpRequest) -> HttpResponse:
    """GET /2fa/, POST /2fa/ (new recovery codes, with a fresh second factor)."""
    if not request.user.is_authenticated:
        return redirect(_signin_url())
    enrolled = is_enrolled(request.user)
    if request.method == "POST" and enrolled:
        if not session_fresh(request):
            return redirect("/2fa/verify?next=/2fa/")
        codes = recovery_codes_renew(user=request.user)
        messages.success(request, _("New recovery codes: the old ones no longer work."))
        return render(request, "people/two_factor_codes.html", _context(request, codes=codes))
    return render(
        request,
        "people/two_factor.html",
        _context(request, enrolled=enrolled, required=two_factor_required(request.user)),
    )
