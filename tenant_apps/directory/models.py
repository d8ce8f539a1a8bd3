"""An institution's LDAP directory, for sign-in with directory accounts (in its schema)."""

from __future__ import annotations

from django.db import models


class LdapSettings(models.Model):
    """Exactly one row per schema (pk 1) when the institution uses LDAP sign-in."""

    SINGLETON_PK = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_PK, editable=False)
    enabled = models.BooleanField(default=False)
    server_uri = models.CharField(max_length=500, help_text="ldap://host:389 or ldaps://host:636")
    start_tls = models.BooleanField(default=False)
    bind_dn = models.CharField(max_length=500, blank=True)
    # Stored in the institution's own schema and never shown back in any response.
    bind_password = models.CharField(max_length=500, blank=True)
    user_search_base = models.CharField(max_length=500)
    user_filter = models.CharField(max_length=500, default="(uid=%(user)s)")
    display_name_attribute = models.CharField(max_length=100, default="cn")
    email_attribute = models.CharField(max_length=100, default="mail")
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="ldap_settings_singleton"),
        ]

    def __str__(self) -> str:
        return f"LDAP {self.server_uri} ({'on' if self.enabled else 'off'})"
