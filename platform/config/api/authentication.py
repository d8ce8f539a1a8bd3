"""API authentication: personal access tokens (Bearer) and the browser session."""

from __future__ import annotations

import structlog
from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from tenant_apps.people.selectors import token_for_secret
from tenant_apps.people.services import token_touch


def bind_user_to_logs(user) -> None:
    public_id = getattr(user, "public_id", None)
    if public_id:
        structlog.contextvars.bind_contextvars(user=public_id)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>`` with a token of this institution."""

    keyword = "Bearer"

    def authenticate(self, request: Request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("The Authorization header must be 'Bearer <token>'.")
            )
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from None
        token = token_for_secret(raw)
        if token is None:
            raise exceptions.AuthenticationFailed(_("The token is not valid, expired or revoked."))
        token_touch(token=token)
        bind_user_to_logs(token.user)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """The browser's session, with CSRF enforced on unsafe methods (DRF's rule)."""

    def authenticate(self, request: Request):
        result = super().authenticate(request)
        if result is not None:
            bind_user_to_logs(result[0])
        return result


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Describes personal access tokens in the OpenAPI document."""

    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A personal access token (oae_...): of this institution on its hosts, "
                "of a platform admin on the platform host."
            ),
        }


class SessionScheme(OpenApiAuthenticationExtension):
    """Describes the browser session (CSRF token required on writes)."""

    target_class = SessionAuthentication
    name = "cookieAuth"

    def get_security_definition(self, auto_schema) -> dict:
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
