"""Password sign-in for local accounts, rate-limited per account and per client address.

Counters live in the cache (Redis; keys carry the institution's schema), so the
limits hold across processes: after too many failures the account, or the
address, is refused for a while with a clear message (429 with Retry-After).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import authenticate
from django.core.cache import cache

from tenant_apps.people.models import User

WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


@dataclass
class SigninRefused(Exception):
    """Too many failed sign-ins: try again after ``retry_after`` seconds."""

    retry_after: int
    message: str = "Too many failed sign-ins. Wait a few minutes and try again."


class SigninFailed(Exception):
    """Wrong username or password (the same answer for both, and for a disabled account)."""


def _keys(username: str, address: str | None) -> tuple[str, str]:
    return f"signin:fail:user:{username.strip().lower()}", f"signin:fail:ip:{address or 'unknown'}"


def _retry_after(key: str) -> int:
    ttl = getattr(cache, "ttl", None)
    remaining = ttl(key) if ttl else None
    return remaining if isinstance(remaining, int) and remaining > 0 else WINDOW_SECONDS


def _failed(key: str) -> None:
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS)


def signin_with_password(
    *, username: str, password: str, address: str | None, request=None
) -> User:
    """The active local account for these credentials; SigninRefused or SigninFailed otherwise."""
    user_key, address_key = _keys(username, address)
    for key, limit in (
        (user_key, MAX_FAILURES_PER_ACCOUNT),
        (address_key, MAX_FAILURES_PER_ADDRESS),
    ):
        if (cache.get(key) or 0) >= limit:
            raise SigninRefused(retry_after=_retry_after(key))
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        _failed(user_key)
        _failed(address_key)
        raise SigninFailed
    cache.delete(user_key)
    return user
