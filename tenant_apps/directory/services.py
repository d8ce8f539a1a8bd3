"""Configuring how an institution's people sign in: local passwords, LDAP, OpenID Connect.

The one write path for the admin page, the admin API and commands."""

from __future__ import annotations

import ldap
import ldap.dn
import requests
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from config.outbound import url_problem
from tenant_apps.directory.backends import ldap_uris
from tenant_apps.directory.models import LdapSettings, OidcSettings, SamlSettings
from tenant_apps.institution.admin_services import institution_settings_update
from tenant_apps.institution.audit import admin_action_record
from tenant_apps.institution.selectors import institution_profile

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


def _require_signin_admin(actor) -> None:
    if actor is not None and not (actor.is_active and actor.is_staff):
        raise PermissionDenied(_("Only the institution's admins configure sign-in."))


def _settings_row(model, *, actor, values: dict, editable: tuple[str, ...]):
    """The institution's settings row of ``model`` (locked, or new) with ``values`` applied.

    PermissionDenied unless ``actor`` is an admin (or None, a command); ValidationError
    naming unknown fields. Strings are trimmed except secrets; an empty client secret
    keeps the stored one (an empty bind password means binding without one).
    """
    _require_signin_admin(actor)
    unknown = set(values) - set(editable)
    if unknown:
        raise ValidationError({field: [_("Unknown setting.")] for field in unknown})
    current = model.objects.select_for_update().filter(pk=model.SINGLETON_PK).first()
    current = current or model(pk=model.SINGLETON_PK)
    for field, value in values.items():
        if field == "client_secret" and value == "":
            continue
        if field not in SECRETS and isinstance(value, str):
            value = value.strip()
        setattr(current, field, value)
    return current


def _settings_save(current, *, actor, method: str, values: dict, errors: dict) -> None:
    """Refuse with every problem at once, else save and record it in the audit trail."""
    if not current.enabled:
        _require_another_method(without=method, errors=errors)
    if errors:
        raise ValidationError(errors)
    current.full_clean()
    current.save()
    admin_action_record(
        actor=actor,
        verb=f"signin.{method}_updated",
        target=f"signin.{method}",
        details={"changed": sorted(values), "enabled": current.enabled},
    )


SECRETS = ("bind_password", "client_secret")


@transaction.atomic
def ldap_settings_set(*, actor, **values) -> LdapSettings:
    """Create or change the institution's LDAP settings. Only its admins (or a CLI: actor None)."""
    current = _settings_row(LdapSettings, actor=actor, values=values, editable=EDITABLE)
    errors: dict[str, list[str]] = {}
    if not current.server_uri.startswith(("ldap://", "ldaps://")):
        errors["server_uri"] = ["Use an ldap:// or ldaps:// address."]
    else:
        problems = [
            url_problem(uri, schemes=("ldap", "ldaps")) for uri in ldap_uris(current.server_uri)
        ]
        if any(problems):
            errors["server_uri"] = [next(problem for problem in problems if problem)]
    if "%(user)s" not in current.user_filter:
        errors["user_filter"] = ["The filter must contain %(user)s, e.g. (uid=%(user)s)."]
    else:
        try:
            if not ldap.dn.str2dn(current.user_search_base):
                raise ldap.DECODING_ERROR
        except ldap.DECODING_ERROR:
            errors["user_search_base"] = ["Not a distinguished name (e.g. ou=people,dc=ex,dc=edu)."]
    _settings_save(current, actor=actor, method="ldap", values=values, errors=errors)
    return current


# --- OpenID Connect ------------------------------------------------------------------
OIDC_EDITABLE = (
    "enabled",
    "label",
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "client_id",
    "client_secret",
    "scopes",
    "sign_algorithm",
    "create_people",
    "link_verified_email",
)
_OIDC_URLS = ("issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")


def _url_errors(value: str, *, required: bool) -> list[str]:
    from urllib.parse import urlsplit

    from django.conf import settings

    if not value:
        return [_("This address is required.")] if required else []
    parts = urlsplit(value)
    schemes = {"https", "http"} if settings.OIDC_ALLOW_HTTP else {"https"}
    if parts.scheme not in schemes or not parts.hostname:
        return [
            _("Use an https:// address.") if "http" not in schemes else _("Use an http(s) address.")
        ]
    problem = url_problem(value)  # not inside the platform's network (SSRF)
    return [problem] if problem else []


@transaction.atomic
def oidc_settings_set(*, actor, **values) -> OidcSettings:
    """Create or change the institution's OpenID Connect settings (admins, or a CLI: None)."""
    current = _settings_row(OidcSettings, actor=actor, values=values, editable=OIDC_EDITABLE)
    errors: dict[str, list[str]] = {}
    for field in _OIDC_URLS:
        problems = _url_errors(getattr(current, field), required=field != "jwks_uri")
        if problems:
            errors[field] = problems
    if "openid" not in current.scopes.split():
        errors["scopes"] = [_("The scopes must include openid.")]
    if current.sign_algorithm == OidcSettings.Algorithm.HS256 and not current.client_secret:
        errors["client_secret"] = [_("HS256 tokens are verified with the client secret: give it.")]
    if current.sign_algorithm != OidcSettings.Algorithm.HS256 and not current.jwks_uri:
        errors["jwks_uri"] = [
            _("%(algorithm)s tokens need the provider's key address.")
            % {"algorithm": current.sign_algorithm}
        ]
    if not current.client_id:
        errors["client_id"] = [_("The client id the provider gave you is required.")]
    _settings_save(current, actor=actor, method="oidc", values=values, errors=errors)
    return current


# --- which methods are on -------------------------------------------------------------
def signin_methods() -> dict[str, bool]:
    """Which ways in the institution offers (four small reads)."""
    return {
        "local": institution_profile().local_signin,
        "ldap": LdapSettings.objects.filter(pk=LdapSettings.SINGLETON_PK, enabled=True).exists(),
        "oidc": OidcSettings.objects.filter(pk=OidcSettings.SINGLETON_PK, enabled=True).exists(),
        "saml": SamlSettings.objects.filter(pk=SamlSettings.SINGLETON_PK, enabled=True).exists(),
    }


def _require_another_method(*, without: str, errors: dict[str, list[str]]) -> None:
    methods = signin_methods()
    methods[without] = False
    if not any(methods.values()):
        errors.setdefault("enabled", []).append(
            "People would have no way to sign in: switch on local passwords, LDAP, "
            "OpenID Connect or SAML first."
        )


@transaction.atomic
def local_signin_set(*, actor, enabled: bool) -> None:
    """Allow or refuse password sign-in with local accounts (admins always keep it).

    Switching it off also closes self-registration, which creates local accounts.
    """
    _require_signin_admin(actor)
    if not enabled:
        errors: dict[str, list[str]] = {}
        _require_another_method(without="local", errors=errors)
        if errors:
            raise ValidationError({"local_signin": errors["enabled"]})
    changes = {"local_signin": enabled}
    if not enabled:
        changes["self_registration"] = False
    institution_settings_update(actor=actor, **changes)


# --- SAML 2.0 ---------------------------------------------------------------------------
SAML_EDITABLE = (
    "enabled",
    "label",
    "idp_metadata_url",
    "idp_metadata_xml",
    "identity",
    "create_people",
)
# Identity provider metadata larger than this is refused (federation aggregates are not
# what is wanted here: the institution's own identity provider's entity).
SAML_METADATA_MAX_BYTES = 1_000_000


def _saml_metadata_fetch(url: str) -> str:
    """The metadata at ``url``, fetched through the outbound guard; ValidationError if not."""
    from django.conf import settings

    from config.outbound import guarded_session

    problems = _url_errors(url, required=True)
    if problems:
        raise ValidationError({"idp_metadata_url": problems})
    try:
        with guarded_session() as session:
            answer = session.get(url, timeout=settings.OIDC_TIMEOUT, stream=True)
            answer.raise_for_status()
            body = answer.raw.read(SAML_METADATA_MAX_BYTES + 1, decode_content=True)
    except requests.RequestException as error:
        raise ValidationError(
            {
                "idp_metadata_url": [
                    _("The metadata could not be fetched: %(error)s") % {"error": error}
                ]
            }
        ) from None
    if len(body) > SAML_METADATA_MAX_BYTES:
        raise ValidationError({"idp_metadata_url": [_("The metadata is larger than 1 MB.")]})
    return body.decode("utf-8", errors="replace")


def saml_settings_set(*, actor, **values) -> SamlSettings:
    """Create or change the institution's SAML settings (admins, or a CLI: None).

    ``idp_metadata_xml`` uploads the identity provider's metadata; ``idp_metadata_url`` alone
    (again, to refresh) fetches it from there through the outbound guard. The metadata must
    describe one identity provider with a signing key (its entity id is kept).
    """
    _require_signin_admin(actor)
    if values.get("idp_metadata_url") and not values.get("idp_metadata_xml"):
        values["idp_metadata_xml"] = _saml_metadata_fetch(values["idp_metadata_url"].strip())
    return _saml_settings_save(actor=actor, values=values)


@transaction.atomic
def _saml_settings_save(*, actor, values: dict) -> SamlSettings:
    from tenant_apps.directory.saml import idp_entity_id_of

    if values.get("idp_metadata_xml") == "":
        values.pop("idp_metadata_xml")  # an empty upload keeps the stored metadata
    current = _settings_row(SamlSettings, actor=actor, values=values, editable=SAML_EDITABLE)
    errors: dict[str, list[str]] = {}
    if current.idp_metadata_url:
        problems = _url_errors(current.idp_metadata_url, required=False)
        if problems:
            errors["idp_metadata_url"] = problems
    if current.idp_metadata_xml:
        try:
            current.idp_entity_id = idp_entity_id_of(current.idp_metadata_xml)
        except ValidationError as error:
            errors.update(error.message_dict)
    elif current.enabled:
        errors["idp_metadata_xml"] = [
            "Upload the identity provider's metadata or give the address to fetch it from."
        ]
    _settings_save(current, actor=actor, method="saml", values=values, errors=errors)
    return current


# --- two-factor policy ------------------------------------------------------------------
TWO_FACTOR_POLICIES = ("off", "admins", "everyone")


@transaction.atomic
def two_factor_policy_set(*, actor, policy: str) -> None:
    """Who must sign in with a second factor: nobody ("off"), the admins, or everyone.

    Applies from each person's next sign-in (tenant_apps.people.two_factor)."""
    _require_signin_admin(actor)
    if policy not in TWO_FACTOR_POLICIES:
        raise ValidationError({"two_factor": [_("Choose off, admins or everyone.")]})
    institution_settings_update(actor=actor, two_factor=policy)
