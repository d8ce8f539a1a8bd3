"""Writes about people and their access tokens: the one write path for each action."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.locale import supported_language, valid_time_zone
from tenant_apps.institution.models import InstitutionProfile
from tenant_apps.people.caches import token_cache
from tenant_apps.people.models import (
    PLACEHOLDER_DISPLAY_NAME,
    PROFILE_FIELDS,
    AccessToken,
    User,
    Visibility,
)
from tenants.models import Tenant
from tenants.usage import quota_check_people, usage_add

TOKEN_PREFIX = "oae_"  # noqa: S105 (a public marker, not a secret)
# Recording every use would turn each API read into a write; once in this
# interval is enough to tell a live token from a forgotten one.
TOKEN_LAST_USED_RESOLUTION = timedelta(minutes=10)
TOKEN_SUGGESTED_DAYS = 90
TOKEN_MAX_DAYS = 3650


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def user_create(
    *,
    username: str,
    email: str = "",
    password: str | None = None,
    display_name: str = "",
    is_admin: bool = False,
) -> User:
    """Create a person in the current schema. ``is_admin`` makes them an admin of it.

    Without a password the account cannot sign in with a password (SSO or an
    invitation sets one later). Without a display name the person is shown as
    PLACEHOLDER_DISPLAY_NAME until they give one, never by their username. In an
    institution's schema the people quota is enforced (QuotaExceeded) and the
    institution's people counter goes up.
    """
    tenant = _current_tenant()
    if tenant is not None:
        quota_check_people(tenant)
    user = User(
        username=username,
        email=email,
        display_name=(display_name or "").strip() or PLACEHOLDER_DISPLAY_NAME,
        is_staff=is_admin,
        is_superuser=is_admin,
    )
    if tenant is not None:
        # The institution's default for new profiles (its admins choose it).
        visibility = _default_visibility()
        for field in PROFILE_FIELDS:
            setattr(user, f"{field}_visibility", visibility)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    if tenant is not None:
        usage_add(tenant, people=1)
    return user


def _default_visibility() -> str:
    chosen = (
        InstitutionProfile.objects.filter(pk=InstitutionProfile.SINGLETON_PK)
        .values_list("default_visibility", flat=True)
        .first()
    )
    return chosen or Visibility.LOGGEDIN


def _current_tenant():
    """The institution whose schema the connection is on, or None on the public schema."""
    from django_tenants.utils import get_public_schema_name

    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Tenant):
        return tenant
    if connection.schema_name == get_public_schema_name():
        return None
    # Entered with schema_context(): only the schema's name is known.
    return Tenant.objects.filter(schema_name=connection.schema_name).first()


@transaction.atomic
def token_create(
    *,
    user: User,
    name: str,
    expires: datetime | None = None,
    expires_in_days: int | None = None,
) -> tuple[AccessToken, str]:
    """Issue a token for ``user``; returns the row and the secret, shown only this once.

    It expires at ``expires``, or ``expires_in_days`` from now (the forms suggest
    TOKEN_SUGGESTED_DAYS), or never; an expired token authenticates no one.
    """
    if expires is None and expires_in_days is not None:
        expires = timezone.now() + timedelta(days=expires_in_days)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = AccessToken.objects.create(
        user=user, name=name, key_hash=token_hash(raw), expires=expires
    )
    return token, raw


def token_revoke(*, token: AccessToken) -> AccessToken:
    """Revoke a token; revoking twice is harmless."""
    if token.revoked is None:
        token.revoked = timezone.now()
        token.save(update_fields=["revoked"])
    return token


def token_touch(*, token: AccessToken, now: datetime | None = None) -> None:
    """Record that the token was used, at most once per resolution interval."""
    now = now or timezone.now()
    if token.last_used is None or now - token.last_used >= TOKEN_LAST_USED_RESOLUTION:
        AccessToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now
        # Only this process's copy: when a token was last used decides nothing elsewhere.
        token_cache.update(token.key_hash, lambda cached: setattr(cached, "last_used", now))


PROFILE_EDITABLE = (
    "display_name",
    "department",
    "role",
    "biography",
    "display_name_visibility",
    "department_visibility",
    "role_visibility",
    "biography_visibility",
    "listed_in_directory",
    "language",  # "" for the institution's default (config.locale)
    "time_zone",
)


@transaction.atomic
def profile_update(*, actor: User, person: User, **changes) -> User:
    """Change ``person``'s profile. Only the person themself or an admin of the institution.

    Raises PermissionDenied for anyone else and ValidationError for bad values.
    """
    from django.core.exceptions import PermissionDenied, ValidationError

    if not (actor.pk == person.pk or (actor.is_staff and actor.is_active)):
        raise PermissionDenied(_("Only the person and the institution's admins edit a profile."))
    unknown = set(changes) - set(PROFILE_EDITABLE)
    if unknown:
        raise ValidationError({field: [_("This field cannot be changed.")] for field in unknown})
    for field, value in changes.items():
        if isinstance(value, str):
            value = value.strip()
        setattr(person, field, value)
    if "display_name" in changes and not person.display_name:
        raise ValidationError({"display_name": [_("A display name cannot be empty.")]})
    if person.language and supported_language(person.language) != person.language:
        raise ValidationError({"language": [_("Choose one of the languages offered.")]})
    if person.time_zone and not valid_time_zone(person.time_zone):
        raise ValidationError({"time_zone": [_("Choose a time zone like Europe/Madrid.")]})
    person.full_clean(exclude=["password", "username", "email"])
    person.save(update_fields=list(changes))
    return person
