"""Connections API: ``/api/v1/connections/...`` - invitations, my connections, blocks.

Only the two people of a connection see it; anyone else gets 404 for its id.
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.inputs import validated
from config.api.pagination import cursor_page
from tenant_apps.connections.access import access_connection
from tenant_apps.connections.models import Connection, ConnectionStatus
from tenant_apps.connections.selectors import (
    blocks_of,
    connections_list,
    follow_lists_shown,
    follow_settings_of,
    followers_list,
    following_list,
)
from tenant_apps.connections.services import (
    connection_accept,
    connection_end,
    connection_invite,
    follow_settings_update,
    person_block,
    person_follow,
    person_unblock,
    person_unfollow,
)
from tenant_apps.people.access import access_person
from tenant_apps.people.api import PersonSummaryOutput
from tenant_apps.people.models import User
from tenant_apps.people.selectors import people_visible_to, person_summary

LISTS = ("accepted", "incoming", "outgoing")


def _person(viewer: User, public_id: str) -> User:
    person = people_visible_to(viewer).filter(public_id=public_id).first()
    if person is None:
        raise exceptions.ValidationError({"person": [_("No such person.")]})
    return person


class ConnectionOutput(serializers.Serializer):
    id = serializers.CharField()
    person = PersonSummaryOutput()
    status = serializers.CharField()
    direction = serializers.ChoiceField(["incoming", "outgoing"])
    created = serializers.DateTimeField()
    accepted = serializers.DateTimeField(allow_null=True)


def connection_data(viewer: User, connection: Connection) -> dict:
    outgoing = connection.inviter_id == viewer.pk
    other = connection.invitee if outgoing else connection.inviter
    return {
        "id": connection.public_id,
        "person": person_summary(viewer, other),
        "status": connection.status,
        "direction": "outgoing" if outgoing else "incoming",
        "created": connection.created,
        "accepted": connection.accepted,
    }


class ConnectionPersonInput(serializers.Serializer):
    person = serializers.CharField(max_length=40)


class ConnectionStatusInput(serializers.Serializer):
    status = serializers.ChoiceField([ConnectionStatus.ACCEPTED])


class ConnectionsApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=LISTS, description="default accepted")],
        responses=ConnectionOutput(many=True),
        summary="My connections, or my pending invitations (incoming, outgoing)",
    )
    def get(self, request: Request) -> Response:
        which = request.query_params.get("status", "accepted")
        if which not in LISTS:
            raise exceptions.ValidationError(
                {"status": [_("Choose one of: %(join)s.") % {"join": ", ".join(LISTS)}]}
            )
        return cursor_page(
            self,
            connections_list(user=request.user, which=which),
            ("-id",),
            lambda c: connection_data(request.user, c),
        )

    @extend_schema(
        request=ConnectionPersonInput,
        responses={201: ConnectionOutput},
        summary="Invite a person to connect (accepts their invitation if they sent one)",
    )
    def post(self, request: Request) -> Response:
        data = validated(ConnectionPersonInput, request.data)
        person = _person(request.user, data["person"])
        connection = connection_invite(actor=request.user, person=person)
        return Response(connection_data(request.user, connection), status=status.HTTP_201_CREATED)


class ConnectionApi(APIView):
    @extend_schema(responses=ConnectionOutput, summary="One of my connections or invitations")
    def get(self, request: Request, public_id: str) -> Response:
        connection = access_connection(request.user, public_id)
        return Response(connection_data(request.user, connection))

    @extend_schema(
        request=ConnectionStatusInput, responses=ConnectionOutput, summary="Accept an invitation"
    )
    def patch(self, request: Request, public_id: str) -> Response:
        connection = access_connection(request.user, public_id)
        validated(ConnectionStatusInput, request.data)
        connection = connection_accept(actor=request.user, connection=connection)
        return Response(connection_data(request.user, connection))

    @extend_schema(
        responses={204: None},
        summary="Decline an invitation, cancel one's own, or remove a connection",
    )
    def delete(self, request: Request, public_id: str) -> Response:
        connection = access_connection(request.user, public_id)
        connection_end(actor=request.user, connection=connection)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConnectionBlockOutput(serializers.Serializer):
    person = PersonSummaryOutput()
    created = serializers.DateTimeField()


class BlocksApi(APIView):
    @extend_schema(responses=ConnectionBlockOutput(many=True), summary="The people I have blocked")
    def get(self, request: Request) -> Response:
        return cursor_page(
            self,
            blocks_of(request.user),
            ("-id",),
            lambda b: {"person": person_summary(request.user, b.blocked), "created": b.created},
        )

    @extend_schema(
        request=ConnectionPersonInput,
        responses={201: ConnectionBlockOutput},
        summary="Block a person",
    )
    def post(self, request: Request) -> Response:
        data = validated(ConnectionPersonInput, request.data)
        person = _person(request.user, data["person"])
        block = person_block(actor=request.user, person=person)
        return Response(
            {"person": person_summary(request.user, person), "created": block.created},
            status=status.HTTP_201_CREATED,
        )


class BlockApi(APIView):
    @extend_schema(responses={204: None}, summary="Unblock a person")
    def delete(self, request: Request, person_id: str) -> Response:
        block = blocks_of(request.user).filter(blocked__public_id=person_id).first()
        if block is None:
            raise exceptions.NotFound(_("You have not blocked anyone with this id."))
        person_unblock(actor=request.user, person=block.blocked)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- following ---------------------------------------------------------------------------
class FollowOutput(serializers.Serializer):
    person = PersonSummaryOutput()
    since = serializers.DateTimeField()


class FollowingStateOutput(serializers.Serializer):
    person = PersonSummaryOutput()
    following = serializers.BooleanField()


class FollowSettingsOutput(serializers.Serializer):
    allows_followers = serializers.BooleanField(help_text="others may follow me")
    listed = serializers.BooleanField(
        help_text="I appear in others' follower and following lists, and mine are shown"
    )


class FollowSettingsInput(serializers.Serializer):
    allows_followers = serializers.BooleanField(required=False)
    listed = serializers.BooleanField(required=False)


def follow_settings_data(row) -> dict:
    return {"allows_followers": row.allows_followers, "listed": row.is_listed}


def _follows_page(view: APIView, rows, who: str) -> Response:
    viewer = view.request.user
    return cursor_page(
        view,
        rows,
        ("-id",),
        lambda f: {"person": person_summary(viewer, getattr(f, who)), "since": f.created},
    )


class FollowApi(APIView):
    @extend_schema(
        request=None,
        responses={201: FollowingStateOutput},
        summary="Follow a person (if they allow it): their public activity reaches my feed",
    )
    def post(self, request: Request, public_id: str) -> Response:
        person = access_person(request.user, public_id)
        person_follow(actor=request.user, person=person)
        return Response(
            {"person": person_summary(request.user, person), "following": True},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses={204: None}, summary="Stop following a person")
    def delete(self, request: Request, public_id: str) -> Response:
        person = access_person(request.user, public_id)
        person_unfollow(actor=request.user, person=person)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyFollowingApi(APIView):
    @extend_schema(responses=FollowOutput(many=True), summary="The people I follow")
    def get(self, request: Request) -> Response:
        rows = following_list(viewer=request.user, person=request.user)
        return _follows_page(self, rows, "followed")


class MyFollowersApi(APIView):
    @extend_schema(responses=FollowOutput(many=True), summary="The people following me")
    def get(self, request: Request) -> Response:
        rows = followers_list(viewer=request.user, person=request.user)
        return _follows_page(self, rows, "follower")


def _lists_of(request: Request, public_id: str) -> User:
    person = access_person(request.user, public_id)
    if not follow_lists_shown(viewer=request.user, person=person):
        raise Http404(_("No such list."))
    return person


class PersonFollowersApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        responses=FollowOutput(many=True),
        summary="A person's followers who chose to be listed (404 when the person is not)",
    )
    def get(self, request: Request, public_id: str) -> Response:
        person = _lists_of(request, public_id)
        return _follows_page(self, followers_list(viewer=request.user, person=person), "follower")


class PersonFollowingApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        responses=FollowOutput(many=True),
        summary="The people a person follows who chose to be listed (404 when the person is not)",
    )
    def get(self, request: Request, public_id: str) -> Response:
        person = _lists_of(request, public_id)
        return _follows_page(self, following_list(viewer=request.user, person=person), "followed")


class FollowSettingsApi(APIView):
    @extend_schema(responses=FollowSettingsOutput, summary="My choices about following")
    def get(self, request: Request) -> Response:
        return Response(follow_settings_data(follow_settings_of(request.user)))

    @extend_schema(
        request=FollowSettingsInput,
        responses=FollowSettingsOutput,
        summary="Allow followers (no: every follow of me ends) and be listed",
    )
    def patch(self, request: Request) -> Response:
        data = validated(FollowSettingsInput, request.data)
        if not data:
            raise exceptions.ValidationError({"non_field_errors": [_("Nothing to change.")]})
        row = follow_settings_update(
            actor=request.user,
            allows_followers=data.get("allows_followers"),
            is_listed=data.get("listed"),
        )
        return Response(follow_settings_data(row))
