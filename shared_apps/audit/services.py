"""Recording platform actions. Every lifecycle service calls audit_record."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from django.http import HttpRequest

from shared_apps.audit.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who performs a platform action, and from where."""

    kind: str  # "admin", "cli" or "system"
    name: str
    ip: str | None = None

    @classmethod
    def from_request(cls, request: HttpRequest) -> Actor:
        user = request.user
        name = getattr(user, "public_id", None) or "anonymous"
        return cls(kind="admin", name=name, ip=request.META.get("REMOTE_ADDR") or None)

    @classmethod
    def cli(cls) -> Actor:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
        return cls(kind="cli", name=user)

    @classmethod
    def system(cls, name: str = "platform") -> Actor:
        return cls(kind="system", name=name)


def audit_record(
    *, actor: Actor, verb: str, target: str = "", details: dict | None = None
) -> AuditEntry:
    """Append one entry. Runs in the caller's transaction: no action without its record."""
    return AuditEntry.objects.create(
        actor_kind=actor.kind,
        actor=actor.name,
        ip=actor.ip,
        verb=verb,
        target=target,
        details=details or {},
    )
