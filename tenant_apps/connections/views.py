"""Connection pages: my connections and invitations, the people I blocked, and the actions
(invite, accept, decline, cancel, remove, block, unblock) - each a POST to one service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from config.errors import show_error
from config.keyset import page_after
from tenant_apps.connections.access import access_connection
from tenant_apps.connections.api import connection_data
from tenant_apps.connections.selectors import (
    blocks_of,
    connection_between,
    connections_list,
    has_blocked,
    mutual_connections,
)
from tenant_apps.connections.services import (
    connection_accept,
    connection_end,
    connection_invite,
    person_block,
    person_unblock,
)
from tenant_apps.people.access import access_person
from tenant_apps.people.models import User
from tenant_apps.people.selectors import person_summary

PAGE = 50
MUTUAL_SHOWN = 10
# What connection_end did, as the person is told.
CONNECTION_ENDED = {
    "removed": _("Connection removed."),
    "declined": _("Invitation declined."),
    "cancelled": _("Invitation cancelled."),
}
TABS = {
    "accepted": _("My connections"),
    "incoming": _("Invitations to me"),
    "outgoing": _("Sent"),
}


@login_required(login_url="signin")
def connections_page(request: HttpRequest) -> HttpResponse:
    which = request.GET.get("show", "accepted")
    if which not in TABS:
        which = "accepted"
    page, next_after = page_after(
        connections_list(user=request.user, which=which),
        order=("-id",),
        after=request.GET.get("after"),
        size=PAGE,
    )
    return render(
        request,
        "connections/list.html",
        {
            "tabs": TABS,
            "which": which,
            "connections": [connection_data(request.user, c) for c in page],
            "next_after": next_after,
            # Shown on the tab, so an invitation waiting is never hidden behind "nothing".
            "incoming_count": connections_list(user=request.user, which="incoming").count(),
            "blocks": [
                person_summary(request.user, b.blocked) for b in blocks_of(request.user)[:PAGE]
            ]
            if which == "accepted"
            else [],
        },
    )


def person_panel_section(viewer, person: User) -> dict:
    """A person's page: ``panel`` (registered in ConnectionsConfig.ready)."""
    return {"panel": person_panel(viewer, person)}


def person_panel(viewer, person: User) -> dict | None:
    """What the person page shows about connections: the status between the viewer and the
    person, and their mutual connections (None for anonymous viewers and oneself)."""
    if not getattr(viewer, "is_authenticated", False) or viewer.pk == person.pk:
        return None
    mutual = list(mutual_connections(viewer=viewer, person=person)[: MUTUAL_SHOWN + 1])
    return {
        "connection": connection_between(viewer, person),
        "blocked": has_blocked(viewer, person),
        "mutual": [person_summary(viewer, p) for p in mutual[:MUTUAL_SHOWN]],
        "more_mutual": len(mutual) > MUTUAL_SHOWN,
    }


def _back(request: HttpRequest):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("connections-page")


@login_required(login_url="signin")
@require_POST
def connections_act(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action", "")
    actor = request.user
    try:
        if action in ("invite", "block", "unblock"):
            person = access_person(actor, request.POST.get("person", "").strip())
            if action == "invite":
                connection_invite(actor=actor, person=person)
                messages.success(request, _("Invitation sent to %(person)s.") % {"person": person})
            elif action == "block":
                person_block(actor=actor, person=person)
                messages.success(request, _("You blocked %(person)s.") % {"person": person})
            else:
                person_unblock(actor=actor, person=person)
                messages.success(request, _("You unblocked %(person)s.") % {"person": person})
        elif action in ("accept", "end"):
            connection = access_connection(actor, request.POST.get("connection", ""))
            if action == "accept":
                connection_accept(actor=actor, connection=connection)
                messages.success(request, _("You are connected."))
            else:
                what = connection_end(actor=actor, connection=connection)
                messages.success(request, CONNECTION_ENDED.get(what, _("Done.")))
        else:
            messages.error(request, _("Unknown action."))
    except (ValidationError, PermissionDenied) as error:
        show_error(request, error)
    return _back(request)
