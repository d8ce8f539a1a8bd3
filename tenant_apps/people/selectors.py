"""Reads about people and tokens."""

from __future__ import annotations

from django.utils import timezone

from tenant_apps.people.models import AccessToken
from tenant_apps.people.services import token_hash


def token_for_secret(raw: str) -> AccessToken | None:
    """The live token (not revoked, not expired, its user active) for a secret, or None.

    One query: the token and its user together.
    """
    token = (
        AccessToken.objects.select_related("user")
        .filter(key_hash=token_hash(raw), revoked__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if token.expires is not None and token.expires <= timezone.now():
        return None
    return token
