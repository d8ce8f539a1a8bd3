"""Writes of an institution's settings by its own admins."""

from __future__ import annotations

from django.db import transaction

from tenant_apps.institution.models import InstitutionProfile
from tenant_apps.institution.selectors import institution_profile
from tenant_apps.people.admin_services import require_admin

INSTITUTION_EDITABLE = ("name", "primary_colour", "default_visibility")


@transaction.atomic
def institution_settings_update(*, actor, **changes) -> InstitutionProfile:
    """Change the institution's name, primary colour and/or default profile visibility.

    PermissionDenied unless ``actor`` is an active admin; ValidationError (by field)
    for bad values, with nothing saved. The name shown is the institution's own
    profile; the platform's record of the tenant keeps the name it was created with.
    """
    from django.core.exceptions import ValidationError

    require_admin(actor)
    unknown = set(changes) - set(INSTITUTION_EDITABLE)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in unknown})
    profile = institution_profile()
    profile.pk = InstitutionProfile.SINGLETON_PK
    for name, value in changes.items():
        if isinstance(value, str):
            value = " ".join(value.split()) if name == "name" else value.strip()
        setattr(profile, name, value)
    if "name" in changes and not profile.name:
        raise ValidationError({"name": ["The institution needs a name."]})
    if "primary_colour" in changes:
        profile.primary_colour = profile.primary_colour.lower()
    profile.full_clean()
    profile.save()
    return profile
