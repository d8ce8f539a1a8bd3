"""Activity pages: the notifications page, e-mail preferences, one-click unsubscribe, and the
feed fragment the dashboard reloads when the live channel (or a poll) says it changed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from config.errors import show_error
from tenant_apps.activity.emails import unsubscribe, unsubscribe_read
from tenant_apps.activity.models import Category, Frequency
from tenant_apps.activity.selectors import (
    entry_data,
    feed_of,
    feed_of_person,
    notification_data,
    notifications_page,
)
from tenant_apps.activity.services import (
    email_preferences,
    email_preferences_update,
    notifications_mark_read,
)
from tenant_apps.connections.access import access_person_activity
from tenant_apps.people.selectors import person_summary

PAGE = 25
FEED_SIZE = 20


@login_required(login_url="signin")
def notifications(request: HttpRequest) -> HttpResponse:
    rows, next_after = notifications_page(
        viewer=request.user, after=request.GET.get("after") or None, size=PAGE
    )
    return render(
        request,
        "activity/notifications.html",
        {
            "notifications": [notification_data(request.user, n) for n in rows],
            "next_after": next_after,
        },
    )


@login_required(login_url="signin")
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    one = request.POST.get("notification", "").strip()
    changed = notifications_mark_read(actor=request.user, public_ids=[one] if one else None)
    if not one:
        messages.success(
            request,
            ngettext(
                "Marked %(count)d notification read.",
                "Marked %(count)d notifications read.",
                changed,
            )
            % {"count": changed},
        )
    return redirect("notifications-page")


def feed_context(request: HttpRequest) -> dict:
    """The dashboard's feed (first page) for the signed-in person."""
    entries, next_after = feed_of(viewer=request.user, size=FEED_SIZE)
    return {
        "entries": [entry_data(request.user, e) for e in entries],
        "feed_next": next_after,
    }


@login_required(login_url="signin")
def feed_page(request: HttpRequest) -> HttpResponse:
    """My feed, keyset-paged; ``?fragment=1`` answers the list alone (for the live reload)."""
    entries, next_after = feed_of(
        viewer=request.user, after=request.GET.get("after") or None, size=PAGE
    )
    context = {
        "entries": [entry_data(request.user, e) for e in entries],
        "feed_next": next_after,
    }
    if request.GET.get("fragment"):
        return render(request, "activity/_feed.html", context)
    return render(request, "activity/feed.html", context)


def person_feed_page(request: HttpRequest, public_id: str) -> HttpResponse:
    """A person's public activity (what their followers see), as the viewer may see it."""
    person = access_person_activity(request.user, public_id)
    entries, next_after = feed_of_person(
        viewer=request.user, person=person, after=request.GET.get("after") or None, size=PAGE
    )
    return render(
        request,
        "activity/person_feed.html",
        {
            "person": person_summary(request.user, person),
            "entries": [entry_data(request.user, e) for e in entries],
            "feed_next": next_after,
        },
    )


@login_required(login_url="signin")
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        changes = {c: request.POST.get(c, "") for c in Category.values if c in request.POST}
        try:
            email_preferences_update(actor=request.user, changes=changes)
        except ValidationError as error:
            show_error(request, error)
        else:
            messages.success(request, _("Your e-mail preferences are saved."))
            return redirect("notification-preferences")
    chosen = email_preferences(request.user)
    rows = [
        {"category": c, "label": label, "frequency": chosen[c]} for c, label in Category.choices
    ]
    return render(
        request,
        "activity/preferences.html",
        {"rows": rows, "frequencies": Frequency.choices},
    )


@csrf_exempt  # RFC 8058: mail clients POST without cookies; the signed token is the proof
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    found = unsubscribe_read(token)
    if found is None:
        return render(request, "activity/unsubscribe.html", {"invalid": True}, status=404)
    person, categories = found
    labels = [Category(c).label for c in categories]
    if request.method == "POST":
        unsubscribe(user=person, categories=categories)
        return render(request, "activity/unsubscribe.html", {"done": True, "labels": labels})
    # A GET changes nothing (mail scanners follow links): the page asks to confirm.
    return render(request, "activity/unsubscribe.html", {"labels": labels, "token": token})
