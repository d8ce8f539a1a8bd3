"""Forms of the sign-in methods page (/manage/signin); the services do the real checking."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tenant_apps.directory.models import OidcSettings, SamlSettings


class LocalSigninForm(forms.Form):
    local_signin = forms.BooleanField(
        label=_("People may sign in with a password of their local account"),
        required=False,
        help_text=_(
            "Admins can always sign in with their password, so you cannot lock yourself out."
        ),
    )


class LdapForm(forms.Form):
    enabled = forms.BooleanField(
        label=_("Sign in with the institution's LDAP directory"), required=False
    )
    server_uri = forms.CharField(
        label=_("Server address"),
        max_length=500,
        help_text=_("ldap://host:389 or ldaps://host:636"),
    )
    start_tls = forms.BooleanField(label=_("Use StartTLS"), required=False)
    bind_dn = forms.CharField(label=_("Bind DN"), max_length=500, required=False)
    bind_password = forms.CharField(
        label=_("Bind password"),
        max_length=500,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted and never shown. Leave empty to keep the current one."),
    )
    user_search_base = forms.CharField(label=_("Search base"), max_length=500)
    user_filter = forms.CharField(label=_("User filter"), max_length=500, initial="(uid=%(user)s)")
    display_name_attribute = forms.CharField(
        label=_("Name attribute"), max_length=100, initial="cn"
    )
    email_attribute = forms.CharField(label=_("E-mail attribute"), max_length=100, initial="mail")


class OidcForm(forms.Form):
    enabled = forms.BooleanField(label=_("Sign in with an OpenID Connect provider"), required=False)
    label = forms.CharField(
        label=_("Button text"),
        max_length=100,
        initial="single sign-on",
        help_text=_('The sign-in page shows "Sign in with <this>".'),
    )
    issuer = forms.CharField(label=_("Issuer"), max_length=500)
    authorization_endpoint = forms.CharField(label=_("Authorization endpoint"), max_length=500)
    token_endpoint = forms.CharField(label=_("Token endpoint"), max_length=500)
    userinfo_endpoint = forms.CharField(label=_("User-info endpoint"), max_length=500)
    jwks_uri = forms.CharField(label=_("Keys (JWKS) address"), max_length=500, required=False)
    client_id = forms.CharField(label=_("Client id"), max_length=255)
    client_secret = forms.CharField(
        label=_("Client secret"),
        max_length=500,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted and never shown. Leave empty to keep the current one."),
    )
    scopes = forms.CharField(label=_("Scopes"), max_length=255, initial="openid email profile")
    sign_algorithm = forms.ChoiceField(
        label=_("ID token signature"), choices=OidcSettings.Algorithm.choices
    )
    create_people = forms.BooleanField(
        label=_("Create an account for someone the provider vouches for"), required=False
    )
    link_verified_email = forms.BooleanField(
        label=_(
            "Let a first sign-in claim the account with the same e-mail address "
            "(only when the provider says it verified the address)"
        ),
        required=False,
    )


class SamlForm(forms.Form):
    enabled = forms.BooleanField(
        label=_("Sign in with a SAML 2.0 identity provider"), required=False
    )
    label = forms.CharField(
        label=_("SAML button text"),
        max_length=100,
        initial="your institution's account",
        help_text=_('The sign-in page shows "Sign in with <this>".'),
    )
    idp_metadata_url = forms.CharField(
        label=_("Identity provider metadata address"),
        max_length=500,
        required=False,
        help_text=_("Fetched when you save, unless you paste the metadata below."),
    )
    idp_metadata_xml = forms.CharField(
        label=_("Identity provider metadata (XML)"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Paste it here instead of giving an address. Leave empty to keep the current one."
        ),
    )
    identity = forms.ChoiceField(
        label=_("Who a person is"),
        choices=SamlSettings.Identity.choices,
        help_text=_("The attribute that names a person for good (never their e-mail address)."),
    )
    create_people = forms.BooleanField(
        label=_("Create an account for someone the identity provider vouches for"),
        required=False,
    )


class TwoFactorPolicyForm(forms.Form):
    two_factor = forms.ChoiceField(
        label=_("Who must sign in with a second factor"),
        choices=[
            ("off", _("Nobody (people may still turn it on for themselves)")),
            ("admins", _("The institution's admins")),
            ("everyone", _("Everyone")),
        ],
        widget=forms.RadioSelect,
        help_text=_(
            "A code from an authenticator app (TOTP) after any sign-in method; recovery codes "
            "for a lost phone. Applies from each person's next sign-in. API tokens keep working."
        ),
    )
