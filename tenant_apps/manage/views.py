"""Institution administration pages (/manage/...): only the institution's active admins.

These are the only pages that show people's usernames and e-mail addresses.
Anonymous visitors are sent to sign in; signed-in non-admins get 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.errors import show_error
from tenant_apps.institution.access import admin_required, is_institution_admin
from tenant_apps.institution.admin_services import institution_settings_update
from tenant_apps.institution.selectors import institution_profile
from tenant_apps.manage.forms import ImportForm, InstitutionForm, InviteForm
from tenant_apps.people.access import access_person
from tenant_apps.people.admin_selectors import people_for_admin
from tenant_apps.people.admin_services import (
    IMPORT_MAX_BYTES,
    people_import_csv,
    person_access_set,
    person_invite,
)
from tenant_apps.people.selectors import people_page

PEOPLE_PAGE = 50
ACCESS_ACTIONS = {
    "deactivate": ({"is_active": False}, "{} is deactivated."),
    "reactivate": ({"is_active": True}, "{} is active again."),
    "grant-admin": ({"is_admin": True}, "{} is now an admin."),
    "revoke-admin": ({"is_admin": False}, "{} is no longer an admin."),
}


@admin_required
def manage_home(request: HttpRequest) -> HttpResponse:
    return redirect("manage-people")


@admin_required
def people_list(request: HttpRequest) -> HttpResponse:
    """Everyone, by name; keyset pages (``?after=<id>``) cost the same at any depth."""
    query = request.GET.get("q", "").strip()[:100]
    page, next_after = people_page(
        people_for_admin(actor=request.user, query=query),
        after=request.GET.get("after"),
        size=PEOPLE_PAGE,
    )
    return render(
        request,
        "manage/people.html",
        {
            "people": page,
            "query": query,
            "next_after": next_after,
            "invite_form": InviteForm(),
        },
    )


@admin_required
def person_invite_page(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST) if request.method == "POST" else InviteForm()
    if request.method == "POST":
        if form.is_valid():
            try:
                person = person_invite(
                    actor=request.user,
                    email=form.cleaned_data["email"],
                    display_name=form.cleaned_data["display_name"],
                    username=form.cleaned_data["username"] or None,
                    is_admin=form.cleaned_data["is_admin"],
                )
            except ValidationError as error:
                show_error(request, error, form=form)
            else:
                messages.success(
                    request,
                    _("%(display_name)s is invited: a link is on its way.")
                    % {"display_name": person.display_name},
                )
                return redirect("manage-person", public_id=person.public_id)
        return render(request, "manage/invite.html", {"form": form}, status=400)
    return render(request, "manage/invite.html", {"form": form})


@admin_required
def people_import_page(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    context = {"form": form, "max_mb": IMPORT_MAX_BYTES // (1024 * 1024)}
    if request.method != "POST":
        return render(request, "manage/import.html", context)
    if not form.is_valid():
        return render(request, "manage/import.html", context, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > IMPORT_MAX_BYTES:
        form.add_error(
            "file",
            _("The file is larger than %(max_mb)s MB; split it.") % {"max_mb": context["max_mb"]},
        )
        return render(request, "manage/import.html", context, status=400)
    try:
        report = people_import_csv(actor=request.user, data=upload.read())
    except ValidationError as error:
        form.add_error("file", error)
        return render(request, "manage/import.html", context, status=400)
    context["report"] = report
    return render(request, "manage/import.html", context)


@admin_required
def person_page(request: HttpRequest, public_id: str) -> HttpResponse:
    person = access_person(request.user, public_id, for_write=True)
    return render(request, "manage/person.html", {"person": person})


@require_POST
@admin_required
def person_access(request: HttpRequest, public_id: str) -> HttpResponse:
    person = access_person(request.user, public_id, for_write=True)
    action = ACCESS_ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        return render(
            request,
            "manage/person.html",
            {"person": person, "error": _("Choose one of the actions on this page.")},
            status=400,
        )
    changes, done = action
    try:
        person = person_access_set(actor=request.user, person=person, **changes)
    except ValidationError as error:
        return render(
            request,
            "manage/person.html",
            {"person": person, "error": " ".join(error.messages)},
            status=400,
        )
    messages.success(request, done.format(person.display_name))
    if person.pk == request.user.pk and not is_institution_admin(person):
        return redirect("home")  # they cannot see the admin pages any more
    return redirect("manage-person", public_id=person.public_id)


@admin_required
def institution_settings(request: HttpRequest) -> HttpResponse:
    profile = institution_profile()
    initial = {
        "name": profile.name,
        "primary_colour": profile.primary_colour,
        "default_visibility": profile.default_visibility,
        "search_language": profile.search_language,
        "self_registration": profile.self_registration,
        "registration_domains": "\n".join(profile.registration_domains or []),
        "trash_days": profile.trash_days,
        "language": request.tenant.language,
        "time_zone": request.tenant.time_zone,
    }
    form = (
        InstitutionForm(request.POST)
        if request.method == "POST"
        else InstitutionForm(initial=initial)
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                changes = dict(form.cleaned_data)
                if not changes.get("search_language"):
                    changes.pop("search_language", None)  # a form without the field
                if changes.get("trash_days") is None:
                    changes.pop("trash_days", None)
                for name in ("language", "time_zone"):
                    if name not in request.POST or changes.get(name) == getattr(
                        request.tenant, name
                    ):
                        changes.pop(name, None)  # left out or unchanged
                institution_settings_update(actor=request.user, **changes)
            except ValidationError as error:
                show_error(request, error, form=form)
            else:
                messages.success(request, _("The institution's settings are saved."))
                return redirect("manage-institution")
        return render(request, "manage/institution.html", {"form": form}, status=400)
    return render(request, "manage/institution.html", {"form": form})
