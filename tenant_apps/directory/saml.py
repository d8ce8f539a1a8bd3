"""SAML 2.0 sign-in, configured per institution (pysaml2 underneath, xmlsec1 for signatures).

Each institution is its own service provider: its entity id and metadata are at
``<institution host>/saml/metadata`` (a stable address to register with a federation or an
identity provider), assertions come back to ``/saml/acs`` (HTTP-POST binding). Its identity
provider's metadata (uploaded or fetched through the outbound guard) is stored in its schema.

What an answer must pass before anyone is signed in:

- the assertion is signed by a key in the identity provider's metadata (unsigned: refused);
- it answers an authentication request this institution sent (InResponseTo; unsolicited
  answers refused), each request answered once;
- its audience is this institution's entity id and its destination this institution's
  consumer address (an assertion meant for another institution is refused);
- its validity window holds, and its id was never used here before (replay refused);
- it names the person: eduPersonPrincipalName or a persistent NameID, as configured.

People are matched by (identity provider entity id, identity), never by an e-mail address.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.mdstore import MetadataStore
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_UNSPECIFIED

from tenant_apps.directory.backends import in_institution
from tenant_apps.directory.models import (
    ExternalIdentity,
    SamlAssertionSeen,
    SamlRequest,
    SamlSettings,
)
from tenant_apps.people.selectors import user_for_session
from tenant_apps.people.services import user_create

log = logging.getLogger(__name__)

# How long a person may take at the identity provider before the request is forgotten.
REQUEST_LIFETIME = timedelta(minutes=15)
# Assertion ids are remembered at least this long (longer when the assertion says so).
SEEN_LIFETIME = timedelta(hours=1)
# ExternalIdentity.issuer for SAML identities: kept apart from OpenID Connect issuers.
ISSUER_PREFIX = "saml:"


class InstitutionSAMLBackend(BaseBackend):
    """Keeps people signed in through SAML signed in (sessions name this backend); never
    authenticates anything itself: only /saml/acs signs people in, after saml_finish."""

    def authenticate(self, request, **kwargs):
        return None

    def get_user(self, user_id):
        user = user_for_session(user_id)  # cached per process (people.caches)
        return user if user is not None and user.is_active else None


BACKEND = "tenant_apps.directory.saml.InstitutionSAMLBackend"


class SamlFailed(Exception):
    """The sign-in did not complete; ``str()`` is for the log, never for the page."""


def xmlsec_binary() -> str | None:
    return shutil.which("xmlsec1") or shutil.which("xmlsec1", path="/usr/bin:/usr/local/bin")


def saml_settings_enabled() -> SamlSettings | None:
    """The institution's SAML settings when switched on (one query)."""
    if not in_institution():
        return None
    return SamlSettings.objects.filter(pk=SamlSettings.SINGLETON_PK, enabled=True).first()


def sp_urls(request: HttpRequest) -> dict[str, str]:
    """This institution's service provider addresses on the request's host."""
    base = request.build_absolute_uri("/").rstrip("/")
    return {"entity_id": f"{base}/saml/metadata", "acs": f"{base}/saml/acs"}


def _config(entity_id: str, acs: str, *, row: SamlSettings | None) -> SPConfig:
    persistent = row is not None and row.identity == SamlSettings.Identity.PERSISTENT
    values: dict[str, Any] = {
        "entityid": entity_id,
        "xmlsec_binary": xmlsec_binary(),
        "allow_unknown_attributes": True,
        "service": {
            "sp": {
                "name": entity_id,
                "endpoints": {"assertion_consumer_service": [(acs, BINDING_HTTP_POST)]},
                "want_assertions_signed": True,
                "want_response_signed": False,
                "allow_unsolicited": False,
                "authn_requests_signed": False,
                "name_id_format": [
                    NAMEID_FORMAT_PERSISTENT if persistent else NAMEID_FORMAT_UNSPECIFIED
                ],
                "name_id_format_allow_create": True,
                "required_attributes": ["eduPersonPrincipalName"] if not persistent else [],
                "optional_attributes": ["displayName", "mail"],
            }
        },
    }
    if row is not None and row.idp_metadata_xml:
        values["metadata"] = {"inline": [row.idp_metadata_xml]}
    config = SPConfig()
    config.load(values)
    return config


def sp_metadata_xml(request: HttpRequest) -> str:
    """The institution's service provider metadata (what its identity provider registers)."""
    urls = sp_urls(request)
    row = SamlSettings.objects.filter(pk=SamlSettings.SINGLETON_PK).first()
    descriptor = entity_descriptor(_config(urls["entity_id"], urls["acs"], row=row))
    return str(descriptor)


def idp_entity_id_of(xml: str) -> str:
    """The one identity provider ``xml`` describes (with a single sign-on address taking the
    HTTP-Redirect binding and a signing key); ValidationError otherwise."""
    config = SPConfig()
    config.load({"entityid": "urn:oae:metadata-check", "xmlsec_binary": xmlsec_binary()})
    store = MetadataStore(config.attribute_converters, config)
    try:
        store.load("inline", xml)
    except Exception as error:  # pysaml2 raises many kinds for bad XML
        log.info("SAML metadata refused: %s", error)
        raise ValidationError({"idp_metadata_xml": [_("This is not SAML 2.0 metadata.")]}) from None
    providers = list(store.identity_providers())
    if len(providers) != 1:
        raise ValidationError(
            {"idp_metadata_xml": [_("The metadata must describe exactly one identity provider.")]}
        )
    entity_id = providers[0]
    if not store.single_sign_on_service(entity_id, BINDING_HTTP_REDIRECT):
        raise ValidationError(
            {
                "idp_metadata_xml": [
                    _("The identity provider has no single sign-on address for HTTP-Redirect.")
                ]
            }
        )
    if not store.certs(entity_id, "idpsso", use="signing"):
        raise ValidationError(
            {
                "idp_metadata_xml": [
                    _("The metadata has no key the assertions could be signed with.")
                ]
            }
        )
    return entity_id


def _client(request: HttpRequest, row: SamlSettings) -> Saml2Client:
    urls = sp_urls(request)
    return Saml2Client(config=_config(urls["entity_id"], urls["acs"], row=row))


@transaction.atomic
def saml_start(request: HttpRequest, row: SamlSettings, *, next_url: str) -> str:
    """Record a new authentication request and return the identity provider's address."""
    client = _client(request, row)
    request_id, info = client.prepare_for_authenticate(
        entityid=row.idp_entity_id, binding=BINDING_HTTP_REDIRECT
    )
    SamlRequest.objects.filter(created__lt=timezone.now() - REQUEST_LIFETIME).delete()
    SamlRequest.objects.create(request_id=request_id, next_url=next_url[:500])
    return dict(info["headers"])["Location"]


def saml_finish(request: HttpRequest, row: SamlSettings, saml_response: str):
    """The person an identity provider's answer signs in, and where they were going.

    SamlFailed when the answer is refused (see the module's checks) or names nobody who
    may sign in here."""
    urls = sp_urls(request)
    client = _client(request, row)
    outstanding = {
        saml_request.request_id: saml_request.next_url
        for saml_request in SamlRequest.objects.filter(
            created__gte=timezone.now() - REQUEST_LIFETIME
        )[:1000]
    }
    try:
        answer = client.parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding=outstanding
        )
    except Exception as error:  # signature, status, time, audience, unsolicited, bad XML ...
        raise SamlFailed(f"the answer was refused: {error!r}") from None
    if answer is None or answer.assertion is None:
        raise SamlFailed("the answer holds no assertion")
    assertion = answer.assertion
    if answer.issuer() != row.idp_entity_id:
        raise SamlFailed("the answer comes from another identity provider")
    audiences = {
        (audience.text or "").strip()
        for restriction in (
            assertion.conditions.audience_restriction if assertion.conditions else []
        )
        for audience in restriction.audience
    }
    if urls["entity_id"] not in audiences:
        raise SamlFailed("the assertion is meant for another service provider")
    request_id = answer.in_response_to
    with transaction.atomic():
        # Each request is answered once; each assertion is used once.
        if not SamlRequest.objects.filter(request_id=request_id).delete()[0]:
            raise SamlFailed("the request was already answered")
        SamlAssertionSeen.objects.filter(expires__lt=timezone.now()).delete()
        expires = timezone.now() + SEEN_LIFETIME
        try:
            with transaction.atomic():
                SamlAssertionSeen.objects.create(assertion_id=assertion.id, expires=expires)
        except IntegrityError:
            raise SamlFailed("the assertion was already used (replay)") from None
        identity = _identity(row, answer)
        user = saml_person_for(row=row, identity=identity, attributes=answer.ava or {})
    if user is None or not user.is_active:
        raise SamlFailed("nobody who may sign in here")
    return user, outstanding.get(request_id, "/")


def _identity(row: SamlSettings, answer) -> str:
    if row.identity == SamlSettings.Identity.PERSISTENT:
        name_id = answer.name_id
        if name_id is None or name_id.format != NAMEID_FORMAT_PERSISTENT or not name_id.text:
            raise SamlFailed("the assertion has no persistent NameID")
        return name_id.text.strip()
    values = (answer.ava or {}).get("eduPersonPrincipalName") or []
    if not values or not str(values[0]).strip():
        raise SamlFailed("the assertion has no eduPersonPrincipalName")
    return str(values[0]).strip()


def _first(attributes: dict[str, list], name: str) -> str:
    values = attributes.get(name) or []
    return str(values[0]).strip() if values else ""


def saml_person_for(*, row: SamlSettings, identity: str, attributes: dict[str, list]):
    """The person (identity provider, identity) names; else a new account when allowed and
    the institution is active; else None. Never matched by e-mail address."""
    issuer = ISSUER_PREFIX + row.idp_entity_id
    found = (
        ExternalIdentity.objects.select_related("user")
        .filter(issuer=issuer, subject=identity[:255])
        .first()
    )
    if found is not None:
        found.last_used = timezone.now()
        found.save(update_fields=["last_used"])
        return found.user
    tenant = getattr(connection, "tenant", None)
    if not row.create_people or getattr(tenant, "status", "active") != "active":
        return None
    email = _first(attributes, "mail")[:254]
    try:
        validate_email(email)
    except ValidationError:
        email = ""  # an address the identity provider spells wrongly is not kept
    try:
        user = user_create(
            username=_free_username(identity),
            email=email,
            display_name=_first(attributes, "displayName")[:200],
        )
    except ValidationError as error:  # the people quota, or an address the model refuses
        raise SamlFailed(f"no account could be created: {error}") from None
    try:
        with transaction.atomic():
            ExternalIdentity.objects.create(
                user=user, issuer=issuer, subject=identity[:255], last_used=timezone.now()
            )
    except IntegrityError:  # a parallel first sign-in of the same person won
        return ExternalIdentity.objects.get(issuer=issuer, subject=identity[:255]).user
    return user


def _free_username(identity: str) -> str:
    """The identity's local part (``jo@uni.edu`` -> ``jo``) when free, else one with a digest."""
    User = get_user_model()
    wanted = re.sub(r"[^\w.@+-]", "", identity.split("@")[0])[:100].lower()
    if wanted and not User.objects.filter(username__iexact=wanted).exists():
        return wanted
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return f"{wanted or 'saml'}-{digest}"[:150]
