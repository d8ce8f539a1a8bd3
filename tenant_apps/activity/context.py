"""Template context on institution pages: the unread badge and the live channel's settings."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from tenants.models import Tenant


def live(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if not isinstance(getattr(request, "tenant", None), Tenant) or not getattr(
        user, "is_authenticated", False
    ):
        return {}
    from tenant_apps.activity.selectors import unread_badge_count

    return {
        # Read from this process's memory, else the shared cache (a query only when both
        # have forgotten it).
        "unread_notifications": SimpleLazyObject(lambda: unread_badge_count(user)),
        "live_port": settings.LIVE_URL_PORT,
        "live_poll_seconds": settings.LIVE_POLL_SECONDS,
    }
