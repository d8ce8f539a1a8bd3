"""Invitations become the person's when they sign in - by any method: every one of them
(passwords, LDAP, OpenID Connect, SAML, a new account's first sign-in) ends in
``django.contrib.auth.login()``, whose ``user_logged_in`` signal calls this."""

from __future__ import annotations

import structlog
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import HttpRequest

from tenant_apps.invitations.services import invitation_accept, invitations_claim, token_hash

log = structlog.get_logger(__name__)

SESSION_KEY = "invitation_token"
# Where the link accepted at sign-in leads (its token's hash and the page), so that the
# link's page, opened again as the sign-in's "next", goes there.
DONE_KEY = "invitation_done"


def claim_on_signin(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """Accept the invitation whose link this browser opened before signing in, then every
    open invitation to the person's address. Never fails a sign-in: a problem is logged."""
    if getattr(getattr(request, "tenant", None), "schema_name", "public") == "public":
        return  # the platform's own admins sign in on the platform host: no invitations
    if request is not None and not getattr(request.tenant, "is_writable", True):
        return  # a read-only institution takes no writes; they wait for the next sign-in
    token = request.session.pop(SESSION_KEY, None) if request is not None else None
    try:
        if token:
            try:
                url = invitation_accept(actor=user, token=token)
                request.session[DONE_KEY] = [token_hash(token), url]
            except ValidationError:  # an expired or used link: nothing to give
                log.info("invitation link at sign-in gave nothing")
        invitations_claim(user=user)
    except DatabaseError:
        log.exception("invitations not claimed at sign-in")
