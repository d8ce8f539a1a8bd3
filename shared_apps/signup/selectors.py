"""Reads of sign-up applications."""

from __future__ import annotations

import hashlib

from shared_apps.signup.models import SignupApplication

# token_urlsafe(32) gives 43 characters; anything much longer is not one of ours.
TOKEN_MAX_LENGTH = 100


def signup_token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def signup_application_for_token(raw: str) -> SignupApplication | None:
    """The application a confirmation link's secret belongs to, or None (one query at most)."""
    if not raw or len(raw) > TOKEN_MAX_LENGTH:
        return None
    return (
        SignupApplication.objects.select_related("tenant")
        .filter(token_hash=signup_token_hash(raw))
        .first()
    )
