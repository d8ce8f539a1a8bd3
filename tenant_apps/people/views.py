"""People pages of an institution: sign in and out, the directory, profiles, editing one's own.

Usernames and e-mail addresses appear on none of these pages (only on admin pages).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from config.errors import show_error
from tenant_apps.connections.views import person_panel
from tenant_apps.directory.oidc import oidc_settings_enabled
from tenant_apps.directory.services import signin_methods
from tenant_apps.people.access import access_person
from tenant_apps.people.forms import ProfileForm, SigninForm
from tenant_apps.people.models import PROFILE_FIELDS, User
from tenant_apps.people.selectors import (
    people_directory,
    people_page,
    profile_for,
)
from tenant_apps.people.services import profile_update
from tenant_apps.people.signin import SigninFailed, SigninRefused, signin_with_password

DIRECTORY_PAGE = 50


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
                form.add_error(None, "The username or password is not correct.")
                status = 400
            else:
                login(request, user)  # authenticate() named the backend that vouched
                return redirect(_safe_next(request))
        else:
            status = 400
    response = render(
        request,
        "people/signin.html",
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
    messages.success(request, "You are signed out.")
    return redirect("/")


def directory(request: HttpRequest) -> HttpResponse:
    """Listed people by name; keyset pages (``?after=<id>``) cost the same at any depth."""
    query = request.GET.get("q", "").strip()[:100]
    page, next_after = people_page(
        people_directory(viewer=request.user, query=query),
        after=request.GET.get("after"),
        size=DIRECTORY_PAGE,
    )
    return render(
        request,
        "people/directory.html",
        {
            "people": [profile_for(request.user, person) for person in page],
            "query": query,
            "next_after": next_after,
        },
    )


def person_page(request: HttpRequest, public_id: str) -> HttpResponse:
    person = access_person(request.user, public_id)
    profile = profile_for(request.user, person)
    fields = [
        (field.replace("_", " ").capitalize(), profile[field])
        for field in PROFILE_FIELDS
        if field != "display_name" and profile.get(field)
    ]
    return render(
        request,
        "people/person.html",
        {
            "profile": profile,
            "fields": fields,
            "is_self": request.user.is_authenticated and request.user.pk == person.pk,
            # Connections and mutual connections (None for anonymous visitors and oneself).
            "panel": person_panel(request.user, person),
        },
    )


@login_required(login_url="signin")
def profile_edit(request: HttpRequest) -> HttpResponse:
    me = User.objects.get(pk=request.user.pk)
    form = ProfileForm(request.POST or None, instance=me)
    if request.method == "POST":
        if form.is_valid():
            try:
                profile_update(
                    actor=request.user,
                    person=me,
                    **{field: form.cleaned_data[field] for field in form.changed_data},
                )
            except ValidationError as error:
                show_error(request, error, form=form)
            else:
                messages.success(request, "Your profile is saved.")
                return redirect("person-page", public_id=me.public_id)
        return render(request, "people/profile_edit.html", {"form": form}, status=400)
    return render(request, "people/profile_edit.html", {"form": form})
