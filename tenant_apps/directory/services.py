"""Configuring an institution's LDAP sign-in: the one write path (admin page, API, command)."""

from __future__ import annotations

import ldap
import ldap.dn
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from tenant_apps.directory.models import LdapSettings

EDITABLE = (
    "enabled",
    "server_uri",
    "start_tls",
    "bind_dn",
    "bind_password",
    "user_search_base",
    "user_filter",
    "display_name_attribute",
    "email_attribute",
)


@transaction.atomic
def ldap_settings_set(*, actor, **values) -> LdapSettings:
    """Create or change the institution's LDAP settings. Only its admins (or a CLI: actor None)."""
    if actor is not None and not (actor.is_active and actor.is_staff):
        raise PermissionDenied("Only the institution's admins configure sign-in.")
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValidationError({field: ["Unknown setting."] for field in unknown})
    current = LdapSettings.objects.select_for_update().filter(pk=LdapSettings.SINGLETON_PK).first()
    current = current or LdapSettings(pk=LdapSettings.SINGLETON_PK)
    for field, value in values.items():
        setattr(current, field, value.strip() if isinstance(value, str) else value)
    errors: dict[str, list[str]] = {}
    if not current.server_uri.startswith(("ldap://", "ldaps://")):
        errors["server_uri"] = ["Use an ldap:// or ldaps:// address."]
    if "%(user)s" not in current.user_filter:
        errors["user_filter"] = ["The filter must contain %(user)s, e.g. (uid=%(user)s)."]
    else:
        try:
            if not ldap.dn.str2dn(current.user_search_base):
                raise ldap.DECODING_ERROR
        except ldap.DECODING_ERROR:
            errors["user_search_base"] = ["Not a distinguished name (e.g. ou=people,dc=ex,dc=edu)."]
    if errors:
        raise ValidationError(errors)
    current.full_clean()
    current.save()
    return current
