"""Connection pages: my connections and invitations, the people I blocked, and the actions
(invite, accept, decline, cancel, remove, block, unblock) - each a POST to one service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
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
    connections_shown,
    follow_lists_shown,
    follow_settings_of,
    followers_list,
    following_list,
    has_blocked,
    is_following,
    mutual_connections,
    person_connections,
)
from tenant_apps.connections.services import (
    connection_accept,
    connection_end,
    connection_invite,
    follow_settings_update,
    person_block,
    person_follow,
    person_unblock,
    person_unfollow,
)
from tenant_apps.institution.confirm import confirm_page, is_confirmed, safe_next
from tenant_apps.people.access import access_person
from tenant_apps.people.models import User
from tenant_apps.people.selectors import person_summary, profile_for

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


@login_required(login_url="signin")
def person_connections_page(request: HttpRequest, public_id: str) -> HttpResponse:
    """A profile's Connections tab: all of the person's connections for the person and their
    connections, the ones in common for other members (selectors.connections_shown)."""
    person = access_person(request.user, public_id)
    shown = connections_shown(viewer=request.user, person=person)
    page, next_after = page_after(
        person_connections(viewer=request.user, person=person, shown=shown),
        order=("-id",),
        after=request.GET.get("after"),
        size=PAGE,
    )
    return render(
        request,
        "connections/person_connections.html",
        {
            "profile": profile_for(request.user, person),
            "shown": shown,
            "is_self": request.user.pk == person.pk,
            "people": [
                profile_for(
                    request.user, row.invitee if row.inviter_id == person.pk else row.inviter
                )
                for row in page
            ],
            "next_after": next_after,
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
    return redirect(safe_next(request, reverse("connections-page")))


def _next(request: HttpRequest) -> list[tuple[str, str]]:
    """The ``next`` to carry through a confirmation step (only when it is on this host)."""
    target = safe_next(request, "")
    return [("next", target)] if target else []


@login_required(login_url="signin")
@require_POST
def connections_act(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action", "")
    actor = request.user
    try:
        if action in ("invite", "block", "unblock"):
            person = access_person(actor, request.POST.get("person", "").strip())
            if action == "block" and not is_confirmed(request):
                name = person_summary(actor, person).get("display_name") or _(
                    "a member of the institution"
                )
                return confirm_page(
                    request,
                    title=_("Block %(person)s?") % {"person": name},
                    explanation=_(
                        "They will no longer be able to invite you to connect or send you "
                        "messages, and any connection or following between you ends. You can "
                        "unblock them later from your Connections page."
                    ),
                    button=_("Block"),
                    fields=[("action", "block"), ("person", person.public_id), *_next(request)],
                    cancel=safe_next(request, reverse("person-page", args=[person.public_id])),
                )
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
            if action == "end" and connection.status == "accepted" and not is_confirmed(request):
                return confirm_page(
                    request,
                    title=_("Remove this connection?"),
                    explanation=_(
                        "You will no longer be connected. To connect again, one of you "
                        "has to send a new invitation."
                    ),
                    button=_("Remove connection"),
                    fields=[
                        ("action", "end"),
                        ("connection", connection.public_id),
                        *_next(request),
                    ],
                    cancel=safe_next(request, reverse("connections-page")),
                )
            if (
                action == "end"
                and connection.status == "pending"
                and connection.invitee_id == actor.pk
                and not is_confirmed(request)
            ):
                inviter = person_summary(actor, connection.inviter).get("display_name") or _(
                    "a member of the institution"
                )
                return confirm_page(
                    request,
                    title=_("Decline the invitation from %(person)s?") % {"person": inviter},
                    explanation=_(
                        "The invitation is removed and you will not be connected. They are "
                        "not told, and may invite you again later."
                    ),
                    button=_("Decline invitation"),
                    fields=[
                        ("action", "end"),
                        ("connection", connection.public_id),
                        *_next(request),
                    ],
                    cancel=safe_next(request, reverse("connections-page") + "?show=incoming"),
                )
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


# --- following ---------------------------------------------------------------------------
def person_following_section(viewer, person: User) -> dict:
    """A person's page: ``following`` - whether the viewer follows them and may, and which
    of their lists and activity the viewer may open (registered in ConnectionsConfig)."""
    signed_in = getattr(viewer, "is_authenticated", False)
    is_self = signed_in and viewer.pk == person.pk
    choices = follow_settings_of(person)
    follows = signed_in and not is_self and is_following(viewer, person)
    return {
        "following": {
            "is_self": is_self,
            "follows": follows,
            "may_follow": signed_in
            and not is_self
            and choices.allows_followers
            and not has_blocked(viewer, person),
            "activity_shown": is_self or choices.allows_followers,
            "lists_shown": is_self or choices.is_listed,
        }
    }


@login_required(login_url="signin")
@require_POST
def follow_act(request: HttpRequest, public_id: str) -> HttpResponse:
    person = access_person(request.user, public_id)
    try:
        if request.POST.get("action") == "unfollow":
            person_unfollow(actor=request.user, person=person)
            messages.success(request, _("You no longer follow this person."))
        else:
            person_follow(actor=request.user, person=person)
            messages.success(request, _("You follow this person: their activity is in your feed."))
    except ValidationError as error:
        show_error(request, error)
    return redirect("person-page", public_id=person.public_id)


def _follow_list_page(request: HttpRequest, public_id: str, which: str) -> HttpResponse:
    person = access_person(request.user, public_id)
    if not follow_lists_shown(viewer=request.user, person=person):
        raise Http404(_("No such list."))
    if which == "followers":
        rows, who = followers_list(viewer=request.user, person=person), "follower"
    else:
        rows, who = following_list(viewer=request.user, person=person), "followed"
    after = request.GET.get("after")
    page, next_after = page_after(
        rows, order=("-id",), after=after, size=PAGE, anchor=f"{who}__public_id"
    )
    return render(
        request,
        "connections/follows.html",
        {
            "person": person_summary(request.user, person),
            "which": which,
            "people": [person_summary(request.user, getattr(f, who)) for f in page],
            "next_after": next_after,
        },
    )


def followers_page(request: HttpRequest, public_id: str) -> HttpResponse:
    return _follow_list_page(request, public_id, "followers")


def following_page(request: HttpRequest, public_id: str) -> HttpResponse:
    return _follow_list_page(request, public_id, "following")


@login_required(login_url="signin")
def following_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        follow_settings_update(
            actor=request.user,
            allows_followers=request.POST.get("allows_followers") == "on",
            is_listed=request.POST.get("listed") == "on",
        )
        messages.success(request, _("Your choices about following are saved."))
        return redirect("following-settings")
    return render(
        request,
        "connections/following_settings.html",
        {"choices": follow_settings_of(request.user)},
    )
