"""Invitations API: ``/api/v1/invitations/...`` - invite an address to an item or a group,
list and withdraw one's own, accept a link's token. The answer to an invitation is the same
whether or not the address has an account here."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.inputs import validated
from config.api.pagination import cursor_page
from tenant_apps.invitations.access import access_invitation, access_invitation_target
from tenant_apps.invitations.models import EmailInvitation
from tenant_apps.invitations.services import (
    invitation_accept,
    invitation_create,
    invitation_withdraw,
)


class InvitationOutput(serializers.Serializer):
    id = serializers.CharField()
    email = serializers.CharField(help_text="the address the caller typed")
    kind = serializers.CharField(help_text="content, group or folder")
    target = serializers.CharField(help_text="c_..., g_... or f_...")
    role = serializers.CharField()
    created = serializers.DateTimeField()
    expires = serializers.DateTimeField()
    accepted = serializers.BooleanField()


def invitation_data(invitation: EmailInvitation) -> dict:
    return {
        "id": invitation.public_id,
        "email": invitation.email,
        "kind": invitation.kind,
        "target": invitation.target_id,
        "role": invitation.role,
        "created": invitation.created,
        "expires": invitation.expires,
        "accepted": invitation.accepted_at is not None,
    }


class InvitationInput(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    target = serializers.CharField(
        max_length=40, help_text="an item (c_...), a group (g_...) or a folder (f_...)"
    )
    role = serializers.CharField(
        max_length=16, required=False, help_text="viewer, editor, manager; member for a group"
    )


class AcceptInput(serializers.Serializer):
    token = serializers.CharField(max_length=100)


class AcceptOutput(serializers.Serializer):
    url = serializers.CharField(help_text="the page of what the invitation was for")


class InvitationsApi(APIView):
    @extend_schema(responses=InvitationOutput(many=True), summary="My invitations, newest first")
    def get(self, request: Request) -> Response:
        rows = EmailInvitation.objects.filter(inviter=request.user)
        return cursor_page(self, rows, ("-id",), invitation_data)

    @extend_schema(
        request=InvitationInput,
        responses={202: InvitationOutput},
        summary="Invite an address to an item, group or folder I manage (a mail goes always)",
    )
    def post(self, request: Request) -> Response:
        data = validated(InvitationInput, request.data)
        target = access_invitation_target(request.user, data["target"])
        invitation = invitation_create(
            actor=request.user, email=data["email"], target=target, role=data.get("role")
        )
        return Response(invitation_data(invitation), status=status.HTTP_202_ACCEPTED)


class InvitationApi(APIView):
    @extend_schema(responses={204: None}, summary="Withdraw one of my invitations")
    def delete(self, request: Request, public_id: str) -> Response:
        invitation = access_invitation(request.user, public_id)
        invitation_withdraw(actor=request.user, invitation=invitation)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationAcceptApi(APIView):
    @extend_schema(
        request=AcceptInput,
        responses=AcceptOutput,
        summary="Accept an invitation by its link's token (400 if unknown, used or expired)",
    )
    def post(self, request: Request) -> Response:
        data = validated(AcceptInput, request.data)
        return Response({"url": invitation_accept(actor=request.user, token=data["token"])})
