"""Password sign-in for local accounts, rate-limited per client address and per account
from one address (config.signin_limits: a stranger's failures never lock the owner out).

After too many failures the address is refused for a while with a clear message
(429 with Retry-After).
"""

from __future__ import annotations

from django.contrib.auth import authenticate

from config.signin_limits import (
    MAX_FAILURES_PER_ACCOUNT,
    MAX_FAILURES_PER_ADDRESS,
    WINDOW_SECONDS,
    SigninLimiter,
    SigninRefused,
)
from tenant_apps.people.models import User

__all__ = [
    "MAX_FAILURES_PER_ACCOUNT",
    "MAX_FAILURES_PER_ADDRESS",
    "WINDOW_SECONDS",
    "SigninFailed",
    "SigninRefused",
    "signin_with_password",
]

LIMITER = SigninLimiter(scope="signin")


class SigninFailed(Exception):
    """Wrong username or password (the same answer for both, and for a disabled account)."""


def signin_with_password(
    *, username: str, password: str, address: str | None, request=None
) -> User:
    """The active local account for these credentials; SigninRefused or SigninFailed otherwise."""
    LIMITER.check(username=username, address=address)
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        LIMITER.failed(username=username, address=address)
        raise SigninFailed
    LIMITER.succeeded(username=username, address=address)
    return user
