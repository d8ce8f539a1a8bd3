"""A saved or deleted profile is forgotten by every process's cache (selectors)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tenant_apps.institution.models import InstitutionProfile
from tenant_apps.institution.selectors import institution_profile_changed


@receiver(post_save, sender=InstitutionProfile, dispatch_uid="institution-profile-saved")
@receiver(post_delete, sender=InstitutionProfile, dispatch_uid="institution-profile-deleted")
def profile_written(sender, **kwargs) -> None:
    institution_profile_changed()
