"""Reads for an institution's own admins: everyone, with usernames and e-mail addresses."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from config.db.prepared import planned_for_values
from tenant_apps.institution.access import require_admin
from tenant_apps.people.models import User

ADMIN_PERSON_FIELDS = (
    "public_id",
    "username",
    "email",
    "display_name",
    "is_active",
    "is_staff",
    "password",
    "last_login",
    "date_joined",
)


def people_for_admin(*, actor, query: str = "") -> QuerySet[User]:
    """Every person of the institution (deactivated ones too), by name then id.

    ``query`` matches part of a display name, username or e-mail address.
    PermissionDenied unless ``actor`` is an active admin.
    """
    require_admin(actor)
    people = User.objects.all()
    query = query.strip()
    if query:
        people = people.filter(
            Q(display_name__icontains=query)
            | Q(username__icontains=query)
            | Q(email__icontains=query)
        )
        people = planned_for_values(people)  # planned for its words (config.db.prepared)
    return people.only(*ADMIN_PERSON_FIELDS).order_by("display_name", "id")


def active_admin_count() -> int:
    return User.objects.filter(is_staff=True, is_active=True).count()
