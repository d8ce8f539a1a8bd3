"""Institutions' requests to join the platform, waiting for e-mail confirmation. Public schema."""

from __future__ import annotations

from django.db import models

from config.ids import PUBLIC_ID_MAX_LENGTH, new_public_id


def new_application_id() -> str:
    return new_public_id("su")


class SignupApplication(models.Model):
    """One self-service sign-up: what was asked for, by whom, and whether it was confirmed.

    Only a SHA-256 of the one-time link's secret is stored: the link in the e-mail is
    the only copy, so reading this table (a backup, the console) cannot confirm anything.
    """

    public_id = models.CharField(
        max_length=PUBLIC_ID_MAX_LENGTH, unique=True, default=new_application_id, editable=False
    )
    name = models.CharField("institution name", max_length=200)
    slug = models.CharField("subdomain", max_length=63, db_index=True)
    admin_name = models.CharField(max_length=200)
    admin_email = models.EmailField(max_length=254)
    token_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(db_index=True)
    expires = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Kept (as null) when the institution is purged: the application stays on record.
    tenant = models.ForeignKey(
        "tenants.Tenant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="signup_applications",
    )
    requester_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"sign-up of {self.slug} ({self.public_id})"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None
