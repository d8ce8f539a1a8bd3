"""Admin API (/api/v1/admin/...): an institution's own admins manage its people and settings.

The only API responses with other people's usernames and e-mail addresses.
Anonymous callers get 401, signed-in non-admins 403, ids of other institutions 404.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.inputs import validated
from config.api.pagination import cursor_page
from config.locale import language_choices
from tenant_apps.institution.admin_services import institution_settings_update
from tenant_apps.institution.api import IsInstitutionAdmin
from tenant_apps.institution.models import SearchLanguage
from tenant_apps.institution.selectors import institution_locale, institution_profile
from tenant_apps.people.access import access_person
from tenant_apps.people.admin_selectors import people_for_admin
from tenant_apps.people.admin_services import person_access_set, person_invite
from tenant_apps.people.models import Visibility


class AdminPersonOutput(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    username = serializers.CharField()
    email = serializers.CharField()
    display_name = serializers.CharField()
    is_active = serializers.BooleanField()
    is_admin = serializers.BooleanField(source="is_staff")
    has_password = serializers.SerializerMethodField()
    last_login = serializers.DateTimeField(allow_null=True)
    date_joined = serializers.DateTimeField()

    def get_has_password(self, person) -> bool:
        return person.has_usable_password()


class InviteInput(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    display_name = serializers.CharField(max_length=200)
    username = serializers.CharField(max_length=150, required=False, allow_blank=True)


class AccessInput(serializers.Serializer):
    is_active = serializers.BooleanField(required=False)
    is_admin = serializers.BooleanField(required=False)


class InstitutionSettingsOutput(serializers.Serializer):
    name = serializers.CharField()
    primary_colour = serializers.CharField()
    default_visibility = serializers.CharField()
    search_language = serializers.CharField()
    self_registration = serializers.BooleanField()
    registration_domains = serializers.ListField(child=serializers.CharField())
    trash_days = serializers.IntegerField(help_text="days deleted things stay restorable")
    language = serializers.SerializerMethodField(
        help_text="The default language of its people; empty: the browser's."
    )
    time_zone = serializers.SerializerMethodField(help_text="The default time zone (IANA name).")

    def get_language(self, profile) -> str:
        return self.context["locale"]["language"]

    def get_time_zone(self, profile) -> str:
        return self.context["locale"]["time_zone"]


class InstitutionSettingsInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    primary_colour = serializers.CharField(max_length=7, required=False)
    default_visibility = serializers.ChoiceField(Visibility.choices, required=False)
    search_language = serializers.ChoiceField(SearchLanguage.choices, required=False)
    self_registration = serializers.BooleanField(required=False)
    registration_domains = serializers.ListField(
        child=serializers.CharField(max_length=253), required=False, max_length=100
    )
    trash_days = serializers.IntegerField(min_value=1, max_value=365, required=False)
    language = serializers.ChoiceField(
        [("", ""), *language_choices()], required=False, allow_blank=True
    )
    time_zone = serializers.CharField(max_length=64, required=False)


class AdminPeopleApi(APIView):
    permission_classes = [IsInstitutionAdmin]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="part of a name, username or e-mail")],
        responses=AdminPersonOutput(many=True),
        summary="Everyone in the institution, with usernames and e-mail addresses (admins)",
    )
    def get(self, request: Request) -> Response:
        people = people_for_admin(actor=request.user, query=request.query_params.get("q", "")[:100])
        return cursor_page(
            self, people, ("display_name", "id"), lambda row: AdminPersonOutput(row).data
        )

    @extend_schema(
        request=InviteInput,
        responses={201: AdminPersonOutput},
        summary="Invite someone: they are e-mailed a link to set their password (admins)",
    )
    def post(self, request: Request) -> Response:
        data = validated(InviteInput, request.data)
        person = person_invite(
            actor=request.user,
            email=data["email"],
            display_name=data["display_name"],
            username=data.get("username") or None,
        )
        return Response(AdminPersonOutput(person).data, status=status.HTTP_201_CREATED)


class AdminPersonApi(APIView):
    permission_classes = [IsInstitutionAdmin]

    @extend_schema(responses=AdminPersonOutput, summary="One person (admins)")
    def get(self, request: Request, public_id: str) -> Response:
        return Response(
            AdminPersonOutput(access_person(request.user, public_id, for_write=True)).data
        )

    @extend_schema(
        request=AccessInput,
        responses=AdminPersonOutput,
        summary="(De)activate a person or grant/revoke admin (admins)",
    )
    def patch(self, request: Request, public_id: str) -> Response:
        person = access_person(request.user, public_id, for_write=True)
        data = validated(AccessInput, request.data)
        if not data:
            raise exceptions.ValidationError({"non_field_errors": [_("Nothing to change.")]})
        person = person_access_set(actor=request.user, person=person, **data)
        return Response(AdminPersonOutput(person).data)


class AdminInstitutionApi(APIView):
    permission_classes = [IsInstitutionAdmin]

    @extend_schema(responses=InstitutionSettingsOutput, summary="The institution's settings")
    def get(self, request: Request) -> Response:
        return Response(
            InstitutionSettingsOutput(
                institution_profile(), context={"locale": institution_locale()}
            ).data
        )

    @extend_schema(
        request=InstitutionSettingsInput,
        responses=InstitutionSettingsOutput,
        summary="Change the institution's name, colour, default visibility, self-registration, "
        "default language or time zone",
    )
    def patch(self, request: Request) -> Response:
        data = validated(InstitutionSettingsInput, request.data)
        if not data:
            raise exceptions.ValidationError({"non_field_errors": [_("Nothing to change.")]})
        profile = institution_settings_update(actor=request.user, **data)
        return Response(
            InstitutionSettingsOutput(profile, context={"locale": institution_locale()}).data
        )
