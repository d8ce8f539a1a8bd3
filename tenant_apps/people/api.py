"""People API: the caller's own account, profiles, the directory, sign-in and tokens.

Usernames and e-mail addresses appear only in the caller's own account (``/me``);
every other response carries opaque ids and the profile fields the viewer may see.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.authentication import BearerTokenAuthentication
from config.api.inputs import validated
from config.api.pagination import cursor_page, viewer_page
from config.locale import language_choices
from tenant_apps.people.access import access_person
from tenant_apps.people.models import Visibility
from tenant_apps.people.selectors import (
    people_directory,
    profile_for,
    tokens_of,
)
from tenant_apps.people.services import (
    TOKEN_MAX_DAYS,
    TOKEN_SUGGESTED_DAYS,
    profile_update,
    token_create,
    token_revoke,
)
from tenant_apps.people.signin import SigninFailed, SigninRefused, signin_with_password
from tenant_apps.people.two_factor import token_second_factor_check


class PersonSummaryOutput(serializers.Serializer):
    """A person in someone else's list: ``people.selectors.person_summary``."""

    id = serializers.CharField()
    display_name = serializers.CharField(required=False)


class ProfileOutput(serializers.Serializer):
    """A profile as the viewer may see it: fields they may not see are absent."""

    id = serializers.CharField()
    display_name = serializers.CharField(required=False)
    department = serializers.CharField(required=False)
    role = serializers.CharField(required=False)
    biography = serializers.CharField(required=False)
    picture = serializers.CharField(
        required=False, help_text="The picture's address, when the viewer may see the name"
    )


class MeOutput(serializers.Serializer):
    """The caller's own view of themselves: the only place their username and e-mail appear."""

    id = serializers.CharField(source="public_id")
    username = serializers.CharField()
    email = serializers.EmailField()
    is_admin = serializers.BooleanField(source="is_staff")
    display_name = serializers.CharField()
    department = serializers.CharField()
    role = serializers.CharField()
    biography = serializers.CharField()
    display_name_visibility = serializers.CharField()
    department_visibility = serializers.CharField()
    role_visibility = serializers.CharField()
    biography_visibility = serializers.CharField()
    listed_in_directory = serializers.BooleanField()
    language = serializers.CharField(help_text="Empty: the institution's default.")
    time_zone = serializers.CharField(help_text="An IANA name; empty: the institution's.")


class MeInput(serializers.Serializer):
    display_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    department = serializers.CharField(max_length=200, required=False, allow_blank=True)
    role = serializers.CharField(max_length=200, required=False, allow_blank=True)
    biography = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    display_name_visibility = serializers.ChoiceField(Visibility.choices, required=False)
    department_visibility = serializers.ChoiceField(Visibility.choices, required=False)
    role_visibility = serializers.ChoiceField(Visibility.choices, required=False)
    biography_visibility = serializers.ChoiceField(Visibility.choices, required=False)
    listed_in_directory = serializers.BooleanField(required=False)
    language = serializers.ChoiceField(
        [("", ""), *language_choices()], required=False, allow_blank=True
    )
    time_zone = serializers.CharField(max_length=64, required=False, allow_blank=True)


class MeApi(APIView):
    @extend_schema(responses=MeOutput, summary="The signed-in person's own account")
    def get(self, request: Request) -> Response:
        return Response(MeOutput(request.user).data)

    @extend_schema(request=MeInput, responses=MeOutput, summary="Edit one's own profile")
    def patch(self, request: Request) -> Response:
        data = validated(MeInput, request.data)
        if not data:
            raise exceptions.ValidationError({"non_field_errors": [_("Nothing to change.")]})
        person = profile_update(actor=request.user, person=request.user, **data)
        return Response(MeOutput(person).data)


class PeopleApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="part of a display name")],
        responses=ProfileOutput(many=True),
        summary="The institution's directory (visible, listed people by name)",
    )
    def get(self, request: Request) -> Response:
        query = request.query_params.get("q", "")
        ordering, each = ("display_name", "id"), lambda p: profile_for(request.user, p)
        if query:
            people = people_directory(viewer=request.user, query=query)
            return cursor_page(self, people, ordering, each)
        return viewer_page(
            self, lambda viewer: people_directory(viewer=viewer), ordering, each, shape="directory"
        )


class PersonApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=ProfileOutput, summary="A person's profile, as the caller may see it")
    def get(self, request: Request, public_id: str) -> Response:
        person = access_person(request.user, public_id)
        return Response(profile_for(request.user, person))


class TokenOutput(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    created = serializers.DateTimeField()
    last_used = serializers.DateTimeField(allow_null=True)
    expires = serializers.DateTimeField(allow_null=True)


class TokenInput(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, default="API token")
    expires_in_days = serializers.IntegerField(
        min_value=1,
        max_value=TOKEN_MAX_DAYS,
        required=False,
        allow_null=True,
        default=None,
        help_text="the token stops working after this many days (we suggest "
        f"{TOKEN_SUGGESTED_DAYS}); omitted or null: never",
    )
    otp = serializers.CharField(
        max_length=20,
        required=False,
        default="",
        help_text="a current code of the person's authenticator app (or a recovery code): "
        "needed by people with two-factor sign-in, unless their session proved one in the "
        "last 10 minutes",
    )


class SigninInput(TokenInput):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


_NEW_TOKEN = inline_serializer(
    "NewToken",
    {
        "token": serializers.CharField(),
        "user": inline_serializer("NewTokenUser", {"id": serializers.CharField()}),
    },
)


class AuthTokenApi(APIView):
    """POST /api/v1/auth/token: a personal access token for a local account's credentials."""

    permission_classes = [AllowAny]
    # No session (no CSRF dance for scripts); the bearer class only to answer 401
    # with its challenge on wrong credentials.
    authentication_classes = [BearerTokenAuthentication]

    @extend_schema(
        request=SigninInput,
        responses={201: _NEW_TOKEN},
        summary="Sign in with a local account's password and get a token",
    )
    def post(self, request: Request) -> Response:
        data = validated(SigninInput, request.data)
        try:
            user = signin_with_password(
                username=data["username"],
                password=data["password"],
                address=request.META.get("REMOTE_ADDR"),
                request=request._request,
            )
        except SigninRefused as refused:
            raise exceptions.Throttled(wait=refused.retry_after, detail=refused.message) from None
        except SigninFailed:
            raise exceptions.AuthenticationFailed(
                _("The username or password is not correct.")
            ) from None
        token_second_factor_check(user=user, request=None, code=data["otp"])
        _token, raw = token_create(
            user=user, name=data["name"], expires_in_days=data["expires_in_days"]
        )
        return Response(
            {"token": raw, "user": {"id": user.public_id}}, status=status.HTTP_201_CREATED
        )


class MyTokensApi(APIView):
    @extend_schema(responses=TokenOutput(many=True), summary="The caller's live tokens")
    def get(self, request: Request) -> Response:
        return cursor_page(
            self, tokens_of(request.user), ("-created", "-id"), lambda row: TokenOutput(row).data
        )

    @extend_schema(
        request=TokenInput,
        responses={201: _NEW_TOKEN},
        summary="Issue a new token (the secret is shown only in this answer)",
    )
    def post(self, request: Request) -> Response:
        data = validated(TokenInput, request.data)
        token_second_factor_check(user=request.user, request=request._request, code=data["otp"])
        _token, raw = token_create(
            user=request.user, name=data["name"], expires_in_days=data["expires_in_days"]
        )
        return Response(
            {"token": raw, "user": {"id": request.user.public_id}}, status=status.HTTP_201_CREATED
        )


class MyTokenApi(APIView):
    @extend_schema(responses={204: None}, summary="Revoke one of the caller's tokens")
    def delete(self, request: Request, public_id: str) -> Response:
        token = tokens_of(request.user).filter(public_id=public_id).first()
        if token is None:
            raise exceptions.NotFound(_("No such token."))
        token_revoke(token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)
