"""The API's side of the terms of use: a default permission (settings.REST_FRAMEWORK).

Kept apart from ``api.py``: DRF imports default permissions while ``rest_framework.views``
is still loading, so this module must not import the views.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from config.errors import DomainError
from tenant_apps.account.selectors import terms_pending_for


class TermsNotAccepted(DomainError):
    status = 403
    slug = "terms-not-accepted"
    detail = _(
        "Accept the institution's current terms of use first: GET /api/v1/terms, then "
        "POST /api/v1/terms/accept with its version."
    )


class TermsAccepted(BasePermission):
    """The caller has accepted the institution's current terms (or none are published).

    Bearer tokens are checked with one query per request while terms are published; a
    browser session remembers the acceptance. Views with their own ``permission_classes``
    (the public ones, one's own account, /api/v1/admin/) are not held back.
    """

    def has_permission(self, request, view) -> bool:
        session = getattr(request._request, "session", None) if request.auth is None else None
        if terms_pending_for(request.user, session) is not None:
            raise TermsNotAccepted
        return True
