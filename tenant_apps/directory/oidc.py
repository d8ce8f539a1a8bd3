"""OpenID Connect sign-in, configured per institution (mozilla-django-oidc underneath).

mozilla-django-oidc reads its configuration from Django's settings; here each value
comes from the institution's own OidcSettings row instead (the request's schema), so
every institution talks to its own provider with its own client. On top of the
library's checks (state, nonce, PKCE, signature), the ID token's issuer and audience
must be this institution's provider and client, and people are matched by the
provider's (issuer, subject) pair, never by an e-mail address the provider sends,
unless the admins allowed linking by an address the provider says it verified.

A session's state lives in the host-only session cookie of one institution, so a
flow begun on one institution's host cannot complete on another's.
"""

from __future__ import annotations

import logging
from typing import Any

import mozilla_django_oidc.auth
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from config.outbound import guarded_session
from tenant_apps.directory.backends import in_institution
from tenant_apps.directory.models import ExternalIdentity, OidcSettings
from tenant_apps.people.selectors import user_for_session
from tenant_apps.people.services import user_create

log = logging.getLogger(__name__)


class _GuardedRequests:
    """What mozilla_django_oidc.auth calls ``requests`` (its only HTTP client): every call to
    the provider's token, user-info and key endpoints, and every redirect they answer,
    passes the outbound guard again at connect time (config.outbound). A refusal is a
    requests.ConnectionError, which ``authenticate`` turns into a failed sign-in."""

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        with guarded_session() as session:
            return session.get(url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        with guarded_session() as session:
            return session.post(url, **kwargs)


mozilla_django_oidc.auth.requests = _GuardedRequests()


def oidc_settings_enabled() -> OidcSettings | None:
    """The institution's OpenID Connect settings when switched on (one query)."""
    if not in_institution():
        return None
    return OidcSettings.objects.filter(pk=OidcSettings.SINGLETON_PK, enabled=True).first()


def _as_library_settings(row: OidcSettings) -> dict[str, Any]:
    return {
        "OIDC_OP_AUTHORIZATION_ENDPOINT": row.authorization_endpoint,
        "OIDC_OP_TOKEN_ENDPOINT": row.token_endpoint,
        "OIDC_OP_USER_ENDPOINT": row.userinfo_endpoint,
        "OIDC_OP_JWKS_ENDPOINT": row.jwks_uri or None,
        "OIDC_RP_CLIENT_ID": row.client_id,
        "OIDC_RP_CLIENT_SECRET": row.client_secret,
        "OIDC_RP_SIGN_ALGO": row.sign_algorithm,
        "OIDC_RP_SCOPES": row.scopes,
        "OIDC_CREATE_USER": row.create_people,
        "OIDC_USE_PKCE": True,
        "OIDC_USE_NONCE": True,
        "OIDC_VERIFY_SSL": True,
        "OIDC_TIMEOUT": settings.OIDC_TIMEOUT,
        "OIDC_AUTHENTICATION_CALLBACK_URL": "oidc-callback",
    }


class _InstitutionSettings:
    """``get_settings`` answering from the institution's row, then from Django's settings."""

    _oidc: dict[str, Any] | None = None

    def get_settings(self, attr: str, *args: Any) -> Any:
        if self._oidc is not None and attr in self._oidc:
            return self._oidc[attr]
        return import_from_settings(attr, *args)


class InstitutionOIDCBackend(_InstitutionSettings, OIDCAuthenticationBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Django builds a backend for every request that has a session: read nothing
        # here; the institution's settings are loaded when a sign-in completes.
        self.UserModel = get_user_model()

    def authenticate(self, request: HttpRequest | None, **kwargs: Any):
        # Only the callback view calls authenticate() with a nonce; password sign-ins
        # (username=..., password=...) are not ours.
        if request is None or "nonce" not in kwargs or set(kwargs) - {"nonce", "code_verifier"}:
            return None
        self.row = oidc_settings_enabled()
        if self.row is None:
            return None
        self._oidc = _as_library_settings(self.row)
        for name in (
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
            "OIDC_RP_CLIENT_ID",
            "OIDC_RP_CLIENT_SECRET",
            "OIDC_RP_SIGN_ALGO",
        ):
            setattr(self, name, self._oidc[name])
        self.OIDC_RP_IDP_SIGN_KEY = None
        try:
            return super().authenticate(request, **kwargs)
        except (
            requests.RequestException,
            SuspiciousOperation,
            ValueError,
            KeyError,
            ValidationError,
        ) as error:
            # The provider is down, answered nonsense, the token did not verify, or the
            # institution is at its people quota (QuotaExceeded).
            log.warning("OpenID Connect sign-in failed: %s", error)
            return None

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if payload.get("iss") != self.row.issuer:
            raise SuspiciousOperation("The ID token comes from another issuer.")
        if self.row.client_id not in audiences:
            raise SuspiciousOperation("The ID token is meant for another client.")
        if not payload.get("sub"):
            raise SuspiciousOperation("The ID token names no subject.")
        self.id_claims = payload
        return payload

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        # The user-info answer must describe the person the ID token names.
        return bool(claims.get("sub")) and claims.get("sub") == self.id_claims.get("sub")

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]):
        claims = self.get_userinfo(access_token, id_token, payload)
        if not self.verify_claims(claims):
            raise SuspiciousOperation("The user-info answer does not match the ID token.")
        return oidc_person_for_claims(row=self.row, claims=claims)

    def get_user(self, user_id):
        user = user_for_session(user_id)  # cached per process (people.caches)
        return user if user is not None and user.is_active else None


@transaction.atomic
def oidc_person_for_claims(*, row: OidcSettings, claims: dict[str, Any]):
    """The person the provider vouches for: by (issuer, subject); else, if allowed, the one
    account with the same provider-verified e-mail address; else a new account (if allowed).
    None when none of these applies."""
    User = get_user_model()
    subject = str(claims["sub"])
    identity = (
        ExternalIdentity.objects.select_related("user")
        .filter(issuer=row.issuer, subject=subject)
        .first()
    )
    if identity is not None:
        identity.last_used = timezone.now()
        identity.save(update_fields=["last_used"])
        return identity.user
    email = (claims.get("email") or "").strip()
    user = None
    if row.link_verified_email and email and claims.get("email_verified") is True:
        matches = list(User.objects.filter(email__iexact=email)[:2])
        if len(matches) == 1:
            user = matches[0]
    if user is None:
        tenant = getattr(connection, "tenant", None)
        if not row.create_people or getattr(tenant, "status", "active") != "active":
            return None  # nobody new while the institution is read-only or suspended
        user = user_create(
            username=_free_username(claims),
            email=email if claims.get("email_verified") is True else "",
            display_name=_name_from_claims(claims),
        )
    try:
        with transaction.atomic():
            ExternalIdentity.objects.create(
                user=user, issuer=row.issuer, subject=subject, last_used=timezone.now()
            )
    except IntegrityError:  # a parallel first sign-in of the same person won
        return ExternalIdentity.objects.get(issuer=row.issuer, subject=subject).user
    return user


def _name_from_claims(claims: dict[str, Any]) -> str:
    """The provider's name for the person (``name``, else given and family names); empty
    otherwise (user_create then shows a placeholder). Never the username or e-mail."""
    name = str(claims.get("name") or "").strip()
    if not name:
        parts = (str(claims.get(key) or "").strip() for key in ("given_name", "family_name"))
        name = " ".join(part for part in parts if part)
    return name[:200]


def _free_username(claims: dict[str, Any]) -> str:
    """The provider's preferred username when free and valid, else one made from the subject."""
    import hashlib
    import re

    User = get_user_model()
    wanted = re.sub(r"[^\w.@+-]", "", str(claims.get("preferred_username") or ""))[:120].lower()
    if wanted and not User.objects.filter(username__iexact=wanted).exists():
        return wanted
    digest = hashlib.sha256(str(claims["sub"]).encode()).hexdigest()[:16]
    return f"{wanted or 'sso'}-{digest}"[:150]


class OidcStartView(_InstitutionSettings, OIDCAuthenticationRequestView):
    """GET /oidc/start: off to the institution's provider (404 when it has none)."""

    def __init__(self, **kwargs: Any) -> None:
        # Configured in dispatch(), once the request's institution is known.
        super(OIDCAuthenticationRequestView, self).__init__(**kwargs)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        row = oidc_settings_enabled()
        if row is None:
            raise Http404(_("This institution has no single sign-on."))
        self._oidc = _as_library_settings(row)
        self.OIDC_OP_AUTH_ENDPOINT = row.authorization_endpoint
        self.OIDC_RP_CLIENT_ID = row.client_id
        return super().dispatch(request, *args, **kwargs)


class OidcCallbackView(_InstitutionSettings, OIDCAuthenticationCallbackView):
    """GET /oidc/callback: the provider sends the person back here with a code."""

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            return super().get(request)
        except SuspiciousOperation as error:  # an unknown or replayed state
            log.warning("OpenID Connect callback refused: %s", error)
            return self.login_failure()
