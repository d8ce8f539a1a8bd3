"""GET/PATCH /api/v1/admin/signin/ldap: an institution's LDAP sign-in, for its admins."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tenant_apps.directory.models import LdapSettings
from tenant_apps.directory.services import ldap_settings_set
from tenant_apps.people.admin_api import IsInstitutionAdmin


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
        serializer = LdapInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not serializer.validated_data:
            raise exceptions.ValidationError({"non_field_errors": ["Nothing to change."]})
        try:
            settings = ldap_settings_set(actor=request.user, **serializer.validated_data)
        except DjangoPermissionDenied:
            raise exceptions.PermissionDenied() from None
        except DjangoValidationError as error:
            raise exceptions.ValidationError(error.message_dict) from None
        return Response(LdapOutput(settings).data)
