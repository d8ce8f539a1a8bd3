"""Writes of an institution's settings by its own admins."""

from __future__ import annotations

import re

from django.db import connection, transaction
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name

from shared_apps.audit.services import Actor
from tenant_apps.institution.access import require_admin
from tenant_apps.institution.audit import admin_action_record
from tenant_apps.institution.models import InstitutionProfile
from tenant_apps.institution.selectors import institution_profile
from tenant_apps.institution.signals import search_language_changed
from tenants.services import tenant_locale_set, tenant_rename

INSTITUTION_EDITABLE = (
    "name",
    "primary_colour",
    "default_visibility",
    "search_language",
    "self_registration",
    "registration_domains",
    "trash_days",
    "local_signin",  # through tenant_apps.directory.services.local_signin_set
    "two_factor",  # through tenant_apps.directory.services.two_factor_policy_set
    "language",  # the defaults for its people: kept on the tenant (tenant_locale_set)
    "time_zone",
)
LOCALE_FIELDS = ("language", "time_zone")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
MAX_REGISTRATION_DOMAINS = 100


def registration_domains_clean(value) -> list[str]:
    """A list of e-mail domains from a list, or from text separated by commas or spaces.

    Lower-cased, without a leading "@", each once; ValidationError naming a bad one.
    """
    from django.core.exceptions import ValidationError

    if value is None:
        return []
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    domains: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValidationError(_("Each domain must be text, like example.edu."))
        domain = item.strip().lower().lstrip("@").rstrip(".")
        if not domain:
            continue
        if not _DOMAIN.match(domain):
            raise ValidationError(
                _("%(domain)s is not an e-mail domain like example.edu.") % {"domain": domain[:100]}
            )
        if domain not in domains:
            domains.append(domain)
    if len(domains) > MAX_REGISTRATION_DOMAINS:
        raise ValidationError(
            _("List at most %(max_registration_domains)s domains.")
            % {"max_registration_domains": MAX_REGISTRATION_DOMAINS}
        )
    return domains


@transaction.atomic
def institution_settings_update(*, actor, **changes) -> InstitutionProfile:
    """Change the institution's name, colour, default profile visibility or self-registration.

    PermissionDenied unless ``actor`` is an active admin; ValidationError (by field)
    for bad values, with nothing saved. The name shown is the institution's own
    profile, and a new name is copied to the platform's record of the tenant.
    """
    from django.core.exceptions import ValidationError

    require_admin(actor)
    unknown = set(changes) - set(INSTITUTION_EDITABLE)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
    locale = {name: changes.pop(name) for name in LOCALE_FIELDS if name in changes}
    profile = institution_profile()
    profile.pk = InstitutionProfile.SINGLETON_PK
    old_language = profile.search_language
    if "registration_domains" in changes:
        try:
            changes["registration_domains"] = registration_domains_clean(
                changes["registration_domains"]
            )
        except ValidationError as error:
            raise ValidationError({"registration_domains": error.messages}) from None
    for name, value in changes.items():
        if isinstance(value, str):
            value = " ".join(value.split()) if name == "name" else value.strip()
        setattr(profile, name, value)
    if "name" in changes and not profile.name:
        raise ValidationError({"name": [_("The institution needs a name.")]})
    if profile.self_registration and not profile.local_signin:
        raise ValidationError(
            {
                "self_registration": [
                    _(
                        "Self-registration creates local accounts: switch on "
                        "local password sign-in first."
                    )
                ]
            }
        )
    if "primary_colour" in changes:
        profile.primary_colour = profile.primary_colour.lower()
    profile.full_clean()
    profile.save()
    if "name" in changes and connection.tenant.schema_name != get_public_schema_name():
        # One write path for a name: the platform's record (console, tenant_list) and
        # this profile together.
        tenant_rename(
            tenant=connection.tenant,
            actor=Actor(kind="institution", name=getattr(actor, "public_id", "command line")),
            name=profile.name,
        )
    if locale and connection.tenant.schema_name != get_public_schema_name():
        tenant_locale_set(
            tenant=connection.tenant,
            actor=Actor(kind="institution", name=getattr(actor, "public_id", "command line")),
            **locale,
        )
        changes.update(locale)
    if profile.search_language != old_language:
        # The search app rebuilds the index in the new language (after commit, in the
        # background): every vector was made with the old one.
        schema = connection.tenant.schema_name
        transaction.on_commit(lambda: search_language_changed.send(sender=None, schema=schema))
    admin_action_record(
        actor=actor,
        verb="institution.updated",
        target="institution",
        details={name: locale.get(name, getattr(profile, name, None)) for name in changes},
    )
    return profile
