"""/api/v1/admin/signin (which methods are on), /signin/ldap and /signin/oidc, for admins."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.inputs import validated
from tenant_apps.directory.models import LdapSettings, OidcSettings, SamlSettings
from tenant_apps.directory.saml import sp_urls
from tenant_apps.directory.services import (
    TWO_FACTOR_POLICIES,
    ldap_settings_set,
    local_signin_set,
    oidc_settings_set,
    saml_settings_set,
    signin_methods,
    two_factor_policy_set,
)
from tenant_apps.institution.api import IsInstitutionAdmin
from tenant_apps.institution.selectors import institution_profile
from tenant_apps.people.access import access_person
from tenant_apps.people.two_factor import two_factor_reset


class LdapOutput(serializers.Serializer):
    enabled = serializers.BooleanField()
    server_uri = serializers.CharField()
    start_tls = serializers.BooleanField()
    bind_dn = serializers.CharField()
    # The password itself is never sent back.
    bind_password_set = serializers.SerializerMethodField()
    user_search_base = serializers.CharField()
    user_filter = serializers.CharField()
    display_name_attribute = serializers.CharField()
    email_attribute = serializers.CharField()

    def get_bind_password_set(self, settings: LdapSettings) -> bool:
        return bool(settings.bind_password)


class LdapInput(serializers.Serializer):
    enabled = serializers.BooleanField(required=False)
    server_uri = serializers.CharField(max_length=500, required=False)
    start_tls = serializers.BooleanField(required=False)
    bind_dn = serializers.CharField(max_length=500, required=False, allow_blank=True)
    bind_password = serializers.CharField(
        max_length=500, required=False, allow_blank=True, trim_whitespace=False
    )
    user_search_base = serializers.CharField(max_length=500, required=False)
    user_filter = serializers.CharField(max_length=500, required=False)
    display_name_attribute = serializers.CharField(max_length=100, required=False)
    email_attribute = serializers.CharField(max_length=100, required=False)


def _current() -> LdapSettings:
    return LdapSettings.objects.filter(pk=LdapSettings.SINGLETON_PK).first() or LdapSettings(
        pk=LdapSettings.SINGLETON_PK
    )


class AdminLdapApi(APIView):
    permission_classes = [IsInstitutionAdmin]

    @extend_schema(responses=LdapOutput, summary="The institution's LDAP sign-in settings")
    def get(self, request: Request) -> Response:
        return Response(LdapOutput(_current()).data)

    @extend_schema(
        request=LdapInput,
        responses=LdapOutput,
        summary="Configure, switch on or off the institution's LDAP sign-in",
    )
    def patch(self, request: Request) -> Response:
        return Response(LdapOutput(_set(ldap_settings_set, request, LdapInput)).data)


class OidcOutput(serializers.Serializer):
    enabled = serializers.BooleanField()
    label = serializers.CharField()
    issuer = serializers.CharField()
    authorization_endpoint = serializers.CharField()
    token_endpoint = serializers.CharField()
    userinfo_endpoint = serializers.CharField()
    jwks_uri = serializers.CharField()
    client_id = serializers.CharField()
    # The secret itself is never sent back.
    client_secret_set = serializers.SerializerMethodField()
    scopes = serializers.CharField()
    sign_algorithm = serializers.CharField()
    create_people = serializers.BooleanField()
    link_verified_email = serializers.BooleanField()

    def get_client_secret_set(self, settings: OidcSettings) -> bool:
        return bool(settings.client_secret)


class OidcInput(serializers.Serializer):
    enabled = serializers.BooleanField(required=False)
    label = serializers.CharField(max_length=100, required=False)
    issuer = serializers.CharField(max_length=500, required=False)
    authorization_endpoint = serializers.CharField(max_length=500, required=False)
    token_endpoint = serializers.CharField(max_length=500, required=False)
    userinfo_endpoint = serializers.CharField(max_length=500, required=False)
    jwks_uri = serializers.CharField(max_length=500, required=False, allow_blank=True)
    client_id = serializers.CharField(max_length=255, required=False)
    client_secret = serializers.CharField(max_length=500, required=False, trim_whitespace=False)
    scopes = serializers.CharField(max_length=255, required=False)
    sign_algorithm = serializers.ChoiceField(choices=OidcSettings.Algorithm.choices, required=False)
    create_people = serializers.BooleanField(required=False)
    link_verified_email = serializers.BooleanField(required=False)


def _set(service, request: Request, serializer_class):
    data = validated(serializer_class, request.data)
    if not data:
        raise exceptions.ValidationError({"non_field_errors": [_("Nothing to change.")]})
    return service(actor=request.user, **data)


class AdminOidcApi(APIView):
    permission_classes = [IsInstitutionAdmin]

    @extend_schema(responses=OidcOutput, summary="The institution's OpenID Connect settings")
    def get(self, request: Request) -> Response:
        row = OidcSettings.objects.filter(pk=OidcSettings.SINGLETON_PK).first()
        return Response(OidcOutput(row or OidcSettings(pk=OidcSettings.SINGLETON_PK)).data)

    @extend_schema(
        request=OidcInput,
        responses=OidcOutput,
        summary="Configure, switch on or off the institution's OpenID Connect sign-in",
    )
    def patch(self, request: Request) -> Response:
        return Response(OidcOutput(_set(oidc_settings_set, request, OidcInput)).data)


class SigninMethodsOutput(serializers.Serializer):
    local = serializers.BooleanField(help_text="Password sign-in for everyone (admins always)")
    ldap = serializers.BooleanField()
    oidc = serializers.BooleanField()
    saml = serializers.BooleanField()
    two_factor = serializers.ChoiceField(
        choices=TWO_FACTOR_POLICIES, help_text="Who must sign in with a second factor"
    )


class SigninMethodsInput(serializers.Serializer):
    local = serializers.BooleanField(required=False)
    two_factor = serializers.ChoiceField(choices=TWO_FACTOR_POLICIES, required=False)


def _methods() -> dict:
    return {**signin_methods(), "two_factor": institution_profile().two_factor}


class AdminSigninMethodsApi(APIView):
    permission_classes = [IsInstitutionAdmin]

    @extend_schema(responses=SigninMethodsOutput, summary="Which sign-in methods are on")
    def get(self, request: Request) -> Response:
        return Response(SigninMethodsOutput(_methods()).data)

    @extend_schema(
        request=SigninMethodsInput,
        responses=SigninMethodsOutput,
        summary="Allow or refuse password sign-in with local accounts (admins keep it); "
        "who must use a second factor",
    )
    def patch(self, request: Request) -> Response:
        data = validated(SigninMethodsInput, request.data)
        if not data:
            raise exceptions.ValidationError({"non_field_errors": [_("Nothing to change.")]})
        if "local" in data:
            local_signin_set(actor=request.user, enabled=data["local"])
        if "two_factor" in data:
            two_factor_policy_set(actor=request.user, policy=data["two_factor"])
        return Response(SigninMethodsOutput(_methods()).data)


class SamlOutput(serializers.Serializer):
    enabled = serializers.BooleanField()
    label = serializers.CharField()
    idp_metadata_url = serializers.CharField()
    idp_entity_id = serializers.CharField(help_text="Read from the identity provider's metadata")
    identity = serializers.CharField()
    create_people = serializers.BooleanField()
    sp_entity_id = serializers.SerializerMethodField(
        help_text="This institution's entity id, also the address of its metadata"
    )
    acs_url = serializers.SerializerMethodField(help_text="Where assertions are posted")

    def get_sp_entity_id(self, row: SamlSettings) -> str:
        return sp_urls(self.context["request"])["entity_id"]

    def get_acs_url(self, row: SamlSettings) -> str:
        return sp_urls(self.context["request"])["acs"]


class SamlInput(serializers.Serializer):
    enabled = serializers.BooleanField(required=False)
    label = serializers.CharField(max_length=100, required=False)
    idp_metadata_url = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        help_text="Fetched (again) when given without idp_metadata_xml",
    )
    idp_metadata_xml = serializers.CharField(
        max_length=1_000_000, required=False, allow_blank=True, trim_whitespace=False
    )
    identity = serializers.ChoiceField(choices=SamlSettings.Identity.choices, required=False)
    create_people = serializers.BooleanField(required=False)


class AdminSamlApi(APIView):
    permission_classes = [IsInstitutionAdmin]

    @extend_schema(responses=SamlOutput, summary="The institution's SAML 2.0 sign-in settings")
    def get(self, request: Request) -> Response:
        row = SamlSettings.objects.filter(pk=SamlSettings.SINGLETON_PK).first()
        row = row or SamlSettings(pk=SamlSettings.SINGLETON_PK)
        return Response(SamlOutput(row, context={"request": request}).data)

    @extend_schema(
        request=SamlInput,
        responses=SamlOutput,
        summary="Configure, switch on or off the institution's SAML 2.0 sign-in",
    )
    def patch(self, request: Request) -> Response:
        row = _set(saml_settings_set, request, SamlInput)
        return Response(SamlOutput(row, context={"request": request}).data)


class AdminPersonTwoFactorApi(APIView):
    permission_classes = [IsInstitutionAdmin]

    @extend_schema(
        responses={204: None},
        summary="Reset a person's two-factor sign-in (their authenticator and recovery codes)",
    )
    def delete(self, request: Request, public_id: str) -> Response:
        person = access_person(request.user, public_id, for_write=True)
        two_factor_reset(actor=request.user, person=person)
        return Response(status=204)
