"""People pages of an institution: the directory, profiles, editing one's own.

Usernames and e-mail addresses appear on none of these pages (only on admin pages).
"""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.errors import show_error
from tenant_apps.people.access import access_person
from tenant_apps.people.extensions import person_sections
from tenant_apps.people.forms import ProfileForm
from tenant_apps.people.models import PROFILE_FIELDS, User
from tenant_apps.people.selectors import (
    directory_first_rows,
    people_directory,
    people_page,
    profile_for,
    profiles_of_rows,
    profiles_rule_key,
)
from tenant_apps.people.services import profile_update

DIRECTORY_PAGE = 50


def _cards(people: list[dict]) -> list[dict]:
    """Profiles as the directory's cards: each with its address and every key a card reads."""
    # One reverse() for the page, not one per person (50 of them cost a millisecond or two).
    url = reverse("person-page", args=["_"])[:-1]
    for profile in people:
        profile["url"] = url + quote(profile["id"])
        # Every key the card reads is present: a missing one costs the template a
        # swallowed exception (a few tens of microseconds, 50 times a page).
        profile.setdefault("picture", None)
        profile.setdefault("department", "")
    return people


def directory(request: HttpRequest) -> HttpResponse:
    """Listed people by name; keyset pages (``?after=<id>``) cost the same at any depth."""
    query = request.GET.get("q", "").strip()[:100]
    after = request.GET.get("after")
    viewer = request.user
    if query or after:
        page, next_after = people_page(
            people_directory(viewer=viewer, query=query), after=after, size=DIRECTORY_PAGE
        )
        people = _cards([profile_for(viewer, person) for person in page])
        cards_key = people
    else:
        # The first page, the most asked: learned SQL, rows as columns; the cards are
        # remembered by the rows and the viewer's part of the rule, so the profiles are
        # worked out only when they are not (people is evaluated by the template, lazily).
        rows, next_after = directory_first_rows(viewer, DIRECTORY_PAGE)
        people = SimpleLazyObject(lambda: _cards(profiles_of_rows(viewer, rows)))
        cards_key = (rows, profiles_rule_key(viewer, rows))
    return render(
        request,
        "people/directory.html",
        {
            "people": people,
            "cards_key": cards_key,
            "query": query,
            "next_after": next_after,
        },
    )


# The profile page's labels, in the reader's language.
FIELD_LABELS = {
    "department": gettext_lazy("Department"),
    "role": gettext_lazy("Role"),
    "biography": gettext_lazy("Biography"),
}


def person_page(request: HttpRequest, public_id: str) -> HttpResponse:
    person = access_person(request.user, public_id)
    profile = profile_for(request.user, person)
    fields = [
        (FIELD_LABELS.get(field, field), profile[field])
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
            # e.g. connections and mutual connections (apps above people add these)
            **person_sections(request.user, person),
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
                messages.success(request, _("Your profile is saved."))
                return redirect("person-page", public_id=me.public_id)
        return render(request, "people/profile_edit.html", {"form": form}, status=400)
    return render(request, "people/profile_edit.html", {"form": form})
