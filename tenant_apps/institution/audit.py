"""Recording what an institution's admins do, in the institution's own schema."""

from __future__ import annotations

import structlog

from tenant_apps.institution.models import AdminAction


def admin_action_record(
    *, actor, verb: str, target: str = "", details: dict | None = None
) -> AdminAction:
    """Append one entry in the caller's transaction: no change without its record.

    ``actor`` is the admin (a User) or None for a management command. Never put a
    secret in ``details``: name the fields that changed instead.
    """
    request_id = structlog.contextvars.get_contextvars().get("request_id", "")
    return AdminAction.objects.create(
        actor=actor,
        actor_label=(actor.display_name or actor.public_id)
        if actor is not None
        else "command line",
        verb=verb,
        target=target,
        details=details or {},
        request_id=str(request_id)[:64],
    )
