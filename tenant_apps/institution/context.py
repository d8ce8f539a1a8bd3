"""Template context on institution hosts: the institution's profile, for branding."""

from __future__ import annotations

from django.http import HttpRequest

from tenant_apps.institution.selectors import institution_profile
from tenants.models import Tenant


def institution(request: HttpRequest) -> dict:
    if not isinstance(getattr(request, "tenant", None), Tenant):
        return {}  # the platform host, or no routing (tests of bare views)
    profile = institution_profile()
    return {
        "institution": profile,
        "brand_colour": profile.primary_colour,
        # A suspended institution: the shell shows a banner and its forms are disabled.
        "tenant_read_only": not request.tenant.is_writable,
    }
