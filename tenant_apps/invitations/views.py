"""Invitation pages: inviting by e-mail (``/invitations/new?target=c_...|g_...``), and the
link in the mail (``/invitations/<token>``): accept when signed in, else sign in or create
an account first (the invitation waits in the session and is accepted at sign-in)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from config.errors import show_error
from tenant_apps.invitations.access import access_invitation_target
from tenant_apps.invitations.forms import InvitationForm
from tenant_apps.invitations.selectors import invitation_target_title
from tenant_apps.invitations.services import (
    invitation_accept,
    invitation_create,
    invitation_for_token,
    token_hash,
)
from tenant_apps.invitations.signin import DONE_KEY, SESSION_KEY


@login_required(login_url="signin")
def invitation_new(request: HttpRequest) -> HttpResponse:
    target = access_invitation_target(
        request.user, request.POST.get("target") or request.GET.get("target", "")
    )
    form = InvitationForm(request.POST or None, roles=target.roles)
    if request.method == "POST" and form.is_valid():
        try:
            invitation_create(actor=request.user, target=target, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            show_error(request, error, form=form)
        else:
            # The same words whether or not the address has an account here.
            messages.success(
                request,
                _("An invitation is on its way to %(email)s.")
                % {"email": form.cleaned_data["email"]},
            )
            return redirect(target.url)
    return render(
        request,
        "invitations/new.html",
        {"form": form, "target": target},
        status=400 if request.method == "POST" else 200,
    )


def invitation_link(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_for_token(token)
    if invitation is None:
        done = request.session.get(DONE_KEY)
        if done and done[0] == token_hash(token):
            return redirect(done[1])  # accepted at the sign-in this link led to
        return render(request, "invitations/invalid.html", status=404)
    if request.method == "POST" and request.user.is_authenticated:
        try:
            url = invitation_accept(actor=request.user, token=token)
        except ValidationError as error:
            show_error(request, error)
            return redirect("home")
        messages.success(request, _("The invitation is accepted."))
        return redirect(url)
    if not request.user.is_authenticated:
        # Accepted at sign-in (any method), in this browser.
        request.session[SESSION_KEY] = token
    return render(
        request,
        "invitations/link.html",
        {
            "invitation": invitation,
            "title": invitation_target_title(invitation),
            "inviter": invitation.inviter.display_name,
            "token": token,
        },
    )
