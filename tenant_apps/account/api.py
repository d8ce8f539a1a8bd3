"""The account API: one's password, e-mail address, sessions, data export, erasure, terms;
and the admins' side (an export or erasure for a person, the privacy settings, terms).

Endpoints about one's own account stay open to a person who has not accepted the current
terms of use (they may want their data, or to leave); every other endpoint with the
default permissions answers 403 ``terms-not-accepted`` until they do (``TermsAccepted``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.inputs import validated
from config.api.pagination import cursor_page
from config.errors import DomainError
from tenant_apps.account.access import access_own_session
from tenant_apps.account.erasure import erasure_cancel, erasure_request
from tenant_apps.account.exports import export_link, export_request
from tenant_apps.account.models import ContentPolicy, ExportStatus
from tenant_apps.account.selectors import (
    erasure_scheduled_for,
    exports_of,
    privacy_settings,
    sessions_of,
    terms_current,
    terms_pending_for,
    terms_versions,
)
from tenant_apps.account.services import (
    email_change_confirm,
    email_change_request,
    password_change,
    privacy_settings_update,
    session_end,
    session_rekeyed,
    terms_accept,
    terms_publish,
)
from tenant_apps.institution.api import IsInstitutionAdmin
from tenant_apps.people.access import access_person
from tenant_apps.people.api import MeOutput

OWN = [IsAuthenticated]  # one's own account: open before the terms are accepted


def _session_key(request: Request) -> str | None:
    if request.auth is not None:  # a bearer token: no browser session asks
        return None
    session = getattr(request._request, "session", None)
    return session.session_key if session is not None else None


# --- password and e-mail -----------------------------------------------------------------
class PasswordInput(serializers.Serializer):
    current_password = serializers.CharField(max_length=4096, trim_whitespace=False)
    new_password = serializers.CharField(max_length=4096, trim_whitespace=False)


class PasswordApi(APIView):
    permission_classes = OWN

    @extend_schema(
        request=PasswordInput,
        responses={204: None},
        summary="Change one's password (the current one required); other sessions end",
    )
    def post(self, request: Request) -> Response:
        data = validated(PasswordInput, request.data)
        old_key = _session_key(request)
        person = password_change(actor=request.user, keep_session_key=old_key, **data)
        if old_key is not None:
            from django.contrib.auth import update_session_auth_hash

            update_session_auth_hash(request._request, person)
            session_rekeyed(old_key=old_key, new_key=request._request.session.session_key)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailInput(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    current_password = serializers.CharField(
        max_length=4096, trim_whitespace=False, required=False, default=""
    )


_ACCEPTED = inline_serializer("Accepted", {"detail": serializers.CharField()})


class EmailApi(APIView):
    permission_classes = OWN

    @extend_schema(
        request=EmailInput,
        responses={202: _ACCEPTED},
        summary="Change one's e-mail address: a link is mailed to the new address",
    )
    def post(self, request: Request) -> Response:
        data = validated(EmailInput, request.data)
        email_change_request(
            actor=request.user, new_email=data["email"], current_password=data["current_password"]
        )
        return Response(
            {"detail": "We sent a link to the new address; following it makes the change."},
            status=status.HTTP_202_ACCEPTED,
        )


class EmailConfirmInput(serializers.Serializer):
    token = serializers.CharField(max_length=2000)


class EmailConfirmApi(APIView):
    permission_classes = OWN

    @extend_schema(
        request=EmailConfirmInput, responses=MeOutput, summary="Confirm a new e-mail address"
    )
    def post(self, request: Request) -> Response:
        data = validated(EmailConfirmInput, request.data)
        person = email_change_confirm(actor=request.user, token=data["token"])
        return Response(MeOutput(person).data)


# --- sessions ------------------------------------------------------------------------------
class SessionOutput(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    user_agent = serializers.CharField()
    created = serializers.DateTimeField()
    current = serializers.BooleanField()


class SessionsApi(APIView):
    permission_classes = OWN

    @extend_schema(responses=SessionOutput(many=True), summary="One's signed-in sessions")
    def get(self, request: Request) -> Response:
        current = _session_key(request)

        def each(record) -> dict:
            record.current = record.session_key == current
            return SessionOutput(record).data

        return cursor_page(self, sessions_of(request.user), ("-created", "-id"), each)


class SessionApi(APIView):
    permission_classes = OWN

    @extend_schema(responses={204: None}, summary="End (sign out) one of one's sessions")
    def delete(self, request: Request, public_id: str) -> Response:
        session_end(actor=request.user, record=access_own_session(request.user, public_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- export -----------------------------------------------------------------------------
class ExportOutput(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    status = serializers.CharField()
    progress = serializers.IntegerField(help_text="percent")
    size = serializers.IntegerField()
    created = serializers.DateTimeField()
    finished = serializers.DateTimeField(allow_null=True)
    expires = serializers.DateTimeField(allow_null=True)


class OwnExportOutput(ExportOutput):
    download = serializers.CharField(
        required=False, help_text="the signed, expiring link (also mailed); ready exports only"
    )


def _own_export(export) -> dict:
    data = OwnExportOutput(export).data
    if export.status == ExportStatus.READY:
        data["download"] = export_link(export)
    return data


class MyExportApi(APIView):
    permission_classes = OWN

    @extend_schema(responses=OwnExportOutput(many=True), summary="One's data exports, newest first")
    def get(self, request: Request) -> Response:
        return cursor_page(self, exports_of(request.user), ("-created", "-id"), _own_export)

    @extend_schema(
        request=None,
        responses={202: ExportOutput},
        summary="Ask for an archive of one's data (built in the background, mailed when ready)",
    )
    def post(self, request: Request) -> Response:
        export = export_request(actor=request.user, person=request.user)
        return Response(ExportOutput(export).data, status=status.HTTP_202_ACCEPTED)


# --- erasure -------------------------------------------------------------------------------
class ErasureOutput(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    status = serializers.CharField()
    created = serializers.DateTimeField()
    due = serializers.DateTimeField()


def _erasure_answer(person) -> Response:
    scheduled = erasure_scheduled_for(person)
    if scheduled is None:
        raise NoErasure
    return Response(ErasureOutput(scheduled).data)


class NoErasure(DomainError):
    status = 404
    slug = "not-found"
    detail = _("No erasure is scheduled.")


class MyErasureApi(APIView):
    permission_classes = OWN

    @extend_schema(responses=ErasureOutput, summary="One's scheduled erasure (404 when none)")
    def get(self, request: Request) -> Response:
        return _erasure_answer(request.user)

    @extend_schema(
        request=None, responses={201: ErasureOutput}, summary="Ask for one's account to be erased"
    )
    def post(self, request: Request) -> Response:
        scheduled = erasure_request(actor=request.user, person=request.user)
        return Response(ErasureOutput(scheduled).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ErasureOutput}, summary="Cancel one's scheduled erasure")
    def delete(self, request: Request) -> Response:
        return Response(ErasureOutput(erasure_cancel(actor=request.user, person=request.user)).data)


# --- terms -------------------------------------------------------------------------------
class TermsOutput(serializers.Serializer):
    version = serializers.IntegerField(source="number")
    text = serializers.CharField()
    published = serializers.DateTimeField()


class CurrentTermsOutput(TermsOutput):
    accepted = serializers.BooleanField()


class TermsAcceptInput(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)


class TermsApi(APIView):
    permission_classes = OWN

    @extend_schema(
        responses=CurrentTermsOutput,
        summary="The institution's current terms of use, and whether the caller accepted them",
    )
    def get(self, request: Request) -> Response:
        current = terms_current()
        if current is None:
            raise NoTerms
        current.accepted = terms_pending_for(request.user) is None
        return Response(CurrentTermsOutput(current).data)


class NoTerms(DomainError):
    status = 404
    slug = "not-found"
    detail = _("This institution has published no terms of use.")


class TermsAcceptApi(APIView):
    permission_classes = OWN

    @extend_schema(
        request=TermsAcceptInput, responses={204: None}, summary="Accept the current terms"
    )
    def post(self, request: Request) -> Response:
        data = validated(TermsAcceptInput, request.data)
        terms_accept(
            actor=request.user,
            number=data["version"],
            session=getattr(request._request, "session", None),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- the admins' side ---------------------------------------------------------------------
class AdminExportApi(APIView):
    permission_classes = [IsInstitutionAdmin]

    @extend_schema(
        request=None,
        responses={202: ExportOutput},
        summary="Build a person's data archive (the link is mailed to the person)",
    )
    def post(self, request: Request, public_id: str) -> Response:
        person = access_person(request.user, public_id, for_write=True)
        export = export_request(actor=request.user, person=person)
        return Response(ExportOutput(export).data, status=status.HTTP_202_ACCEPTED)


class AdminErasureApi(APIView):
    permission_classes = [IsInstitutionAdmin]

    @extend_schema(responses=ErasureOutput, summary="A person's scheduled erasure (404 when none)")
    def get(self, request: Request, public_id: str) -> Response:
        return _erasure_answer(access_person(request.user, public_id, for_write=True))

    @extend_schema(
        request=None, responses={201: ErasureOutput}, summary="Schedule a person's erasure"
    )
    def post(self, request: Request, public_id: str) -> Response:
        person = access_person(request.user, public_id, for_write=True)
        scheduled = erasure_request(actor=request.user, person=person)
        return Response(ErasureOutput(scheduled).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ErasureOutput}, summary="Cancel a person's scheduled erasure")
    def delete(self, request: Request, public_id: str) -> Response:
        person = access_person(request.user, public_id, for_write=True)
        return Response(ErasureOutput(erasure_cancel(actor=request.user, person=person)).data)


class PrivacyOutput(serializers.Serializer):
    erasure_grace_days = serializers.IntegerField()
    content_policy = serializers.CharField()
    content_owner = serializers.SerializerMethodField()

    def get_content_owner(self, row) -> str | None:
        return row.content_owner.public_id if row.content_owner_id else None


class PrivacyInput(serializers.Serializer):
    erasure_grace_days = serializers.IntegerField(min_value=0, max_value=365, required=False)
    content_policy = serializers.ChoiceField(ContentPolicy.choices, required=False)
    content_owner = serializers.CharField(
        max_length=40, required=False, allow_null=True, help_text="a person's id, or null"
    )


class AdminPrivacyApi(APIView):
    permission_classes = [IsInstitutionAdmin]

    @extend_schema(responses=PrivacyOutput, summary="The institution's erasure policy")
    def get(self, request: Request) -> Response:
        return Response(PrivacyOutput(privacy_settings()).data)

    @extend_schema(
        request=PrivacyInput, responses=PrivacyOutput, summary="Change the erasure policy"
    )
    def patch(self, request: Request) -> Response:
        data = dict(validated(PrivacyInput, request.data))
        if "content_owner" in data:
            owner_id = data.pop("content_owner")
            data["content_owner"] = (
                access_person(request.user, owner_id, for_write=True) if owner_id else None
            )
        row = privacy_settings_update(actor=request.user, **data)
        return Response(PrivacyOutput(row).data)


class TermsPublishInput(serializers.Serializer):
    text = serializers.CharField(max_length=100_000)


class AdminTermsApi(APIView):
    permission_classes = [IsInstitutionAdmin]

    @extend_schema(
        responses=TermsOutput(many=True), summary="Every published version, newest first"
    )
    def get(self, request: Request) -> Response:
        return cursor_page(self, terms_versions(), ("-number",), lambda v: TermsOutput(v).data)

    @extend_schema(
        request=TermsPublishInput,
        responses={201: TermsOutput},
        summary="Publish a new version: everyone is asked to accept it",
    )
    def post(self, request: Request) -> Response:
        data = validated(TermsPublishInput, request.data)
        version = terms_publish(actor=request.user, text=data["text"])
        return Response(TermsOutput(version).data, status=status.HTTP_201_CREATED)
