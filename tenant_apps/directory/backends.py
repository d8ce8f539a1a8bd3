"""Sign-in backends configured per institution: local passwords and LDAP.

django-auth-ldap is configured per institution from its own LdapSettings row.

Django builds a new backend instance for every authenticate() call, and each call
happens on one institution's host (its schema), so settings are read per call.
New directory people are created through user_create: quotas, usage counters and
the institution's default visibility apply as for anyone else.
"""

from __future__ import annotations

import logging

import ldap
from django.contrib.auth.backends import ModelBackend
from django_auth_ldap.backend import LDAPBackend
from django_auth_ldap.config import LDAPSearch, LDAPSettings

from config.outbound import OutboundRefused, check_url
from tenant_apps.directory.models import LdapSettings
from tenant_apps.institution.selectors import institution_profile
from tenant_apps.people.models import User
from tenant_apps.people.selectors import user_for_session
from tenant_apps.people.services import user_create

log = logging.getLogger(__name__)


def ldap_uris(server_uri: str) -> list[str]:
    """The addresses in an LDAP server setting (libldap takes several, space-separated)."""
    return [uri for uri in server_uri.replace(",", " ").split() if uri]


def in_institution() -> bool:
    from django.db import connection
    from django_tenants.utils import get_public_schema_name

    return connection.schema_name != get_public_schema_name()


class InstitutionModelBackend(ModelBackend):
    """Local accounts; when the institution switched password sign-in off, admins only."""

    def user_can_authenticate(self, user) -> bool:
        if not super().user_can_authenticate(user):
            return False
        if user.is_staff or not in_institution():
            return True
        return institution_profile().local_signin

    def get_user(self, user_id):
        # Every signed-in request restores its user here: from the per-process cache
        # (people.caches), and the profile user_can_authenticate reads is cached too.
        user = user_for_session(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class InstitutionLDAPBackend(LDAPBackend):
    settings_prefix = "OAE_INSTITUTION_LDAP_"  # nothing in Django's settings: all per institution

    def _institution_settings(self) -> LdapSettings | None:
        if not in_institution():
            return None  # the platform host: platform admins are local accounts
        return LdapSettings.objects.filter(pk=LdapSettings.SINGLETON_PK, enabled=True).first()

    @property
    def settings(self):
        if self._settings is None:
            row = self._institution_settings()
            values = {}
            if row is not None:
                values = {
                    "SERVER_URI": row.server_uri,
                    "START_TLS": row.start_tls,
                    "BIND_DN": row.bind_dn,
                    "BIND_PASSWORD": row.bind_password,
                    "USER_SEARCH": LDAPSearch(
                        row.user_search_base, ldap.SCOPE_SUBTREE, row.user_filter
                    ),
                    "USER_ATTR_MAP": {
                        "display_name": row.display_name_attribute,
                        "email": row.email_attribute,
                    },
                    # No referral chasing: a referral could send the bind elsewhere,
                    # past the outbound guard.
                    "CONNECTION_OPTIONS": {
                        ldap.OPT_NETWORK_TIMEOUT: 5,
                        ldap.OPT_TIMEOUT: 10,
                        ldap.OPT_REFERRALS: 0,
                    },
                }
            self._settings = LDAPSettings(self.settings_prefix, values)
            self._enabled = row is not None
        return self._settings

    @settings.setter
    def settings(self, value):
        self._settings = value

    def authenticate(self, request, username=None, password=None, **kwargs):
        self.settings  # noqa: B018 (loads this institution's settings)
        if not getattr(self, "_enabled", False):
            return None
        try:  # again at connect time: the name may resolve elsewhere since it was saved
            for uri in ldap_uris(self.settings.SERVER_URI):
                check_url(uri, schemes=("ldap", "ldaps"))
        except OutboundRefused as refused:
            log.warning("LDAP sign-in refused by the outbound guard: %s", refused)
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        # Sessions of directory people are resolved like anyone else's (no LDAP round trip).
        user = user_for_session(user_id)
        return user if user is not None and user.is_active else None

    def get_or_build_user(self, username, ldap_user):
        existing = User.objects.filter(username__iexact=username).first()
        if existing is not None:
            return existing, False
        return user_create(username=username.lower()), False
