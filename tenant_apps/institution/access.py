"""Who administers the institution: its active staff accounts.

The rule is written once, here, below every app that needs it (people's management,
sign-in methods, the logo, the audit trail): services call ``require_admin``, pages
wear ``admin_required``, API views use ``IsInstitutionAdmin`` (institution.api).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _


def is_institution_admin(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_staff)


def require_admin(actor) -> None:
    """PermissionDenied unless ``actor`` is one of the institution's active admins."""
    if not is_institution_admin(actor):
        raise PermissionDenied(_("Only the institution's admins may do this."))


def admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Pages of /manage/: anonymous visitors sign in first, signed-in non-admins get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "signin")
        if not is_institution_admin(request.user):
            raise PermissionDenied(_("Only the institution's admins may see this page."))
        return view(request, *args, **kwargs)

    return wrapper
