"""Limits on failed password sign-ins, shared by the institutions' sign-in and the console's.

Two counters, both in the cache (Redis, so they hold across processes; keys carry
the schema, so an institution's counters are its own), each over a sliding-free
window of ``WINDOW_SECONDS`` that starts at the first failure:

- per client address: after ``MAX_FAILURES_PER_ADDRESS`` failures, on any accounts,
  that address is refused every sign-in (even with a right password) for the rest
  of the window. IPv6 addresses count per /64, which one client usually holds whole.
- per account *and* address: after ``MAX_FAILURES_PER_ACCOUNT`` failures on one
  account from one address, that address is refused for that account.

There is deliberately no counter per account alone: it would let anyone lock any
account out (issue 12, item 4) by typing five wrong passwords. A stranger's failures
refuse the stranger; the owner, signing in from their own address, is let through.
An attacker spread over many addresses is held by the per-address limit.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass

from django.core.cache import cache

WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


@dataclass
class SigninRefused(Exception):
    """Too many failed sign-ins: try again after ``retry_after`` seconds."""

    retry_after: int
    message: str = "Too many failed sign-ins. Wait a few minutes and try again."


def client_network(address: str | None) -> str:
    """The unit an address is counted in: itself (IPv4), its /64 (IPv6), or "unknown"."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@dataclass(frozen=True)
class SigninLimiter:
    """The counters of one sign-in form (``scope`` keeps two forms' counters apart)."""

    scope: str

    def _keys(self, username: str, address: str | None) -> tuple[str, str]:
        network = client_network(address)
        account = hashlib.sha256(username.strip().lower().encode("utf-8", "replace")).hexdigest()
        return (
            f"{self.scope}:fail:account:{account[:32]}:{network}",
            f"{self.scope}:fail:ip:{network}",
        )

    def check(self, *, username: str, address: str | None) -> None:
        """SigninRefused if this address may not try this account now."""
        account_key, address_key = self._keys(username, address)
        for key, limit in (
            (address_key, MAX_FAILURES_PER_ADDRESS),
            (account_key, MAX_FAILURES_PER_ACCOUNT),
        ):
            if (cache.get(key) or 0) >= limit:
                raise SigninRefused(retry_after=_retry_after(key))

    def failed(self, *, username: str, address: str | None) -> None:
        """Count one failed attempt against the address and the account from that address."""
        for key in self._keys(username, address):
            _count(key)

    def succeeded(self, *, username: str, address: str | None) -> None:
        """A right password forgets this address's failures on this account."""
        cache.delete(self._keys(username, address)[0])


def _retry_after(key: str) -> int:
    ttl = getattr(cache, "ttl", None)
    remaining = ttl(key) if ttl else None
    return remaining if isinstance(remaining, int) and remaining > 0 else WINDOW_SECONDS


def _count(key: str) -> None:
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS)
