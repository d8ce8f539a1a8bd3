"""How an institution's people sign in besides local passwords: its LDAP directory and its
OpenID Connect provider (settings in its schema; secrets encrypted, see config.crypto)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from config.crypto import EncryptedTextField


class LdapSettings(models.Model):
    """Exactly one row per schema (pk 1) when the institution uses LDAP sign-in."""

    SINGLETON_PK = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_PK, editable=False)
    enabled = models.BooleanField(default=False)
    server_uri = models.CharField(
        max_length=500, help_text=_("ldap://host:389 or ldaps://host:636")
    )
    start_tls = models.BooleanField(default=False)
    bind_dn = models.CharField(max_length=500, blank=True)
    # Encrypted in the institution's schema and never shown back in any response.
    bind_password = EncryptedTextField(blank=True)
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


class OidcSettings(models.Model):
    """Exactly one row per schema (pk 1) when the institution uses OpenID Connect sign-in.

    The authorization code flow with PKCE; the ID token is verified with the
    provider's published keys (RS256/ES256) or the client secret (HS256).
    """

    SINGLETON_PK = 1

    class Algorithm(models.TextChoices):
        RS256 = "RS256", _("RS256 (the provider's published keys)")
        ES256 = "ES256", _("ES256 (the provider's published keys)")
        HS256 = "HS256", _("HS256 (the client secret)")

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_PK, editable=False)
    enabled = models.BooleanField(default=False)
    # What the sign-in page's button says: "Sign in with <label>".
    label = models.CharField(max_length=100, default="single sign-on")
    issuer = models.CharField(max_length=500)
    authorization_endpoint = models.CharField(max_length=500)
    token_endpoint = models.CharField(max_length=500)
    userinfo_endpoint = models.CharField(max_length=500)
    jwks_uri = models.CharField(max_length=500, blank=True)
    client_id = models.CharField(max_length=255)
    # Encrypted in the institution's schema and never shown back in any response.
    client_secret = EncryptedTextField(blank=True)
    scopes = models.CharField(max_length=255, default="openid email profile")
    sign_algorithm = models.CharField(
        max_length=5, choices=Algorithm.choices, default=Algorithm.RS256
    )
    # Someone the provider vouches for but who has no account yet gets one.
    create_people = models.BooleanField(default=True)
    # A first sign-in may claim an existing account with the same e-mail address,
    # only when the provider says it verified the address (email_verified).
    link_verified_email = models.BooleanField(default=False)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="oidc_settings_singleton"),
        ]

    def __str__(self) -> str:
        return f"OpenID Connect {self.issuer} ({'on' if self.enabled else 'off'})"


class ExternalIdentity(models.Model):
    """A person's account at the institution's OpenID Connect provider (issuer + subject).

    People are matched by this pair, never by an e-mail address the provider sends.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities"
    )
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="external_identity_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"


class SamlSettings(models.Model):
    """Exactly one row per schema (pk 1) when the institution uses SAML 2.0 sign-in.

    The institution is the service provider (its metadata at /saml/metadata); its identity
    provider's metadata is stored here as XML (uploaded, or fetched from ``idp_metadata_url``
    through the outbound guard). Assertions must be signed by a key in that metadata.
    """

    SINGLETON_PK = 1

    class Identity(models.TextChoices):
        EPPN = "eppn", "eduPersonPrincipalName"
        PERSISTENT = "persistent", _("Persistent NameID")

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_PK, editable=False)
    enabled = models.BooleanField(default=False)
    label = models.CharField(max_length=100, default="your institution's account")
    idp_metadata_url = models.CharField(max_length=500, blank=True)
    idp_metadata_xml = models.TextField(blank=True)
    # Read from the metadata when it is saved.
    idp_entity_id = models.CharField(max_length=500, blank=True)
    identity = models.CharField(max_length=10, choices=Identity.choices, default=Identity.EPPN)
    create_people = models.BooleanField(default=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="saml_settings_singleton"),
        ]

    def __str__(self) -> str:
        return f"SAML {self.idp_entity_id} ({'on' if self.enabled else 'off'})"


class SamlRequest(models.Model):
    """An authentication request this institution sent to its identity provider, until the
    answer comes back (each is answered once; unsolicited answers are refused)."""

    request_id = models.CharField(max_length=100, primary_key=True)
    next_url = models.CharField(max_length=500, default="/")
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.request_id


class SamlAssertionSeen(models.Model):
    """Assertion ids already used here, kept until they expire (replay refused)."""

    assertion_id = models.CharField(max_length=100, primary_key=True)
    expires = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.assertion_id
