"""Writes of the institution's profile."""

from __future__ import annotations

from tenant_apps.institution.models import InstitutionProfile
from tenant_apps.institution.selectors import institution_profile_changed


def institution_profile_set(*, name: str, primary_colour: str | None = None) -> InstitutionProfile:
    """Create or update the current schema's profile row."""
    profile = InstitutionProfile.objects.filter(pk=InstitutionProfile.SINGLETON_PK).first()
    if profile is None:
        profile = InstitutionProfile(pk=InstitutionProfile.SINGLETON_PK)
    profile.name = name
    if primary_colour is not None:
        profile.primary_colour = primary_colour
    profile.full_clean()
    profile.save()
    return profile


def institution_profile_rename(*, name: str) -> None:
    """The current schema's profile takes the name the platform gave the institution
    (called by ``tenants.services.tenant_rename`` alone, which writes both together)."""
    InstitutionProfile.objects.filter(pk=InstitutionProfile.SINGLETON_PK).update(name=name)
    institution_profile_changed()
