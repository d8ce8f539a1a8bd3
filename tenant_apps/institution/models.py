"""The institution's own profile, kept in its schema: what its pages are branded with."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

from tenant_apps.people.models import Visibility

_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1f4e8c.")


class InstitutionProfile(models.Model):
    """Exactly one row per schema (pk 1), written when the institution is provisioned."""

    SINGLETON_PK = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_PK, editable=False)
    name = models.CharField(max_length=200)
    primary_colour = models.CharField(max_length=7, default="#1f4e8c", validators=[_colour])
    # What every profile field of a newly added person starts as; people change their own.
    default_visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.LOGGEDIN
    )
    # Self-registration at /register: off unless the admins switch it on. With
    # domains listed, only e-mail addresses at one of them (or a subdomain) may register.
    self_registration = models.BooleanField(default=False)
    registration_domains = models.JSONField(default=list, blank=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="institution_profile_singleton"),
        ]

    def __str__(self) -> str:
        return self.name
