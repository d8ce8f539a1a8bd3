"""Pages for one's own account on an institution's host: /password-reset and /register.

Neither page says whether an e-mail address has an account here: both answer
"check your e-mail" alike, and the mail tells its owner the rest.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from config.errors import show_error
from tenant_apps.institution.selectors import institution_profile
from tenant_apps.people.account_services import (
    RegistrationClosed,
    TooManyRequests,
    password_reset_request,
    registration_closed_reason,
    self_register,
)


class PasswordResetForm(forms.Form):
    email = forms.CharField(label=_("E-mail address"), max_length=254)


class RegistrationForm(forms.Form):
    display_name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.CharField(label=_("E-mail address"), max_length=254)
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("What you sign in with: letters, digits and @ . + - _ only."),
    )


def _address(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def password_reset(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("/")
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                password_reset_request(
                    email=form.cleaned_data["email"],
                    address=_address(request),
                )
            except ValidationError as error:
                form.add_error("email", error)
            else:
                return render(request, "people/account/password_reset_sent.html")
        return render(request, "people/account/password_reset.html", {"form": form}, status=400)
    return render(request, "people/account/password_reset.html", {"form": form})


def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("/")
    institution = institution_profile()
    reason = registration_closed_reason(institution)
    if reason:
        return render(
            request, "people/account/register_closed.html", {"reason": reason}, status=403
        )
    form = RegistrationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                self_register(address=_address(request), **form.cleaned_data)
            except RegistrationClosed as closed:
                return render(
                    request,
                    "people/account/register_closed.html",
                    {"reason": closed.message},
                    status=403,
                )
            except TooManyRequests as refused:
                form.add_error(None, refused.message)
                status = 429
            except ValidationError as error:
                show_error(request, error, form=form)
            else:
                return render(request, "people/account/register_sent.html")
    return render(
        request,
        "people/account/register.html",
        {"form": form, "domains": institution.registration_domains},
        status=status,
    )
