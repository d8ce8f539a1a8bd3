"""Groups API: ``/api/v1/groups/...`` - groups, members and roles, joining, requests,
invitations, the group's library and its picture.

A group the caller may not see answers 404 on every path under it; managers' actions by
anyone else answer 403 on a group the caller can see (404 for the managers' lists).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.bodies import MULTIPART_SLACK, refuse_oversized_body
from config.api.inputs import validated
from config.api.pagination import cursor_page, viewer_page
from config.malformed import FormParser, MultiPartParser
from tenant_apps.blobs.downloads import serve_blob
from tenant_apps.blobs.images import MAX_PICTURE_BYTES
from tenant_apps.blobs.models import Blob
from tenant_apps.groups import services
from tenant_apps.groups.access import access_group
from tenant_apps.groups.models import Audience, Group, GroupMembership, JoinPolicy, Role
from tenant_apps.groups.selectors import (
    group_invitations,
    group_join_requests,
    group_member_count,
    group_members,
    groups_of,
    groups_visible_to,
    viewer_state,
)
from tenant_apps.people.api import PersonSummaryOutput
from tenant_apps.people.models import User, Visibility
from tenant_apps.people.selectors import people_visible_to, person_summary


def picture_url(request: Request, group: Group) -> str | None:
    if group.picture_id is None:
        return None
    return request.build_absolute_uri(reverse("api:group-picture", args=[group.public_id]))


class GroupSummaryOutput(serializers.Serializer):
    """A group; pass ``context={"request": request}`` for its picture's URL."""

    id = serializers.CharField(source="public_id")
    title = serializers.CharField()
    description = serializers.CharField()
    visibility = serializers.CharField()
    join_policy = serializers.CharField()
    library_policy = serializers.CharField(help_text="who may share into the library")
    message_policy = serializers.CharField(help_text="who may message the whole group")
    created = serializers.DateTimeField()
    picture = serializers.SerializerMethodField(
        help_text="the URL of the group's picture (a PNG), or null"
    )

    def get_picture(self, group: Group) -> str | None:
        return picture_url(self.context["request"], group)


class GroupStandingOutput(serializers.Serializer):
    role = serializers.CharField(allow_null=True)
    has_requested = serializers.BooleanField()
    is_invited = serializers.BooleanField()


class GroupOutput(GroupSummaryOutput):
    member_count = serializers.IntegerField()
    me = GroupStandingOutput()


def group_detail(request: Request, group: Group) -> dict:
    data = GroupSummaryOutput(group, context={"request": request}).data
    data["member_count"] = group_member_count(group)
    data["me"] = viewer_state(group, request.user)
    return data


class GroupInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    visibility = serializers.ChoiceField(Visibility.choices, required=False)
    join_policy = serializers.ChoiceField(JoinPolicy.choices, required=False)
    library_policy = serializers.ChoiceField(Audience.choices, required=False)
    message_policy = serializers.ChoiceField(Audience.choices, required=False)


class GroupPatchInput(GroupInput):
    title = serializers.CharField(max_length=200, required=False)


class GroupMemberOutput(serializers.Serializer):
    person = PersonSummaryOutput()
    role = serializers.CharField()
    joined = serializers.DateTimeField()


class GroupPendingOutput(serializers.Serializer):
    person = PersonSummaryOutput()
    created = serializers.DateTimeField()


def _member(viewer, membership: GroupMembership) -> dict:
    return {
        "person": person_summary(viewer, membership.user),
        "role": membership.role,
        "joined": membership.created,
    }


def _pending(viewer, row) -> dict:
    return {"person": person_summary(viewer, row.user), "created": row.created}


def _one_of(rows, public_id: str) -> User:
    """The person with ``public_id`` among ``rows`` (memberships, requests, invitations)."""
    row = rows.filter(user__public_id=public_id).first()
    if row is None:
        raise exceptions.NotFound(_("No such person here."))
    return row.user


class GroupsApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        parameters=[
            OpenApiParameter("mine", bool, description="only the groups the caller belongs to")
        ],
        responses=GroupSummaryOutput(many=True),
        summary="Groups the caller may see, by title",
    )
    def get(self, request: Request) -> Response:
        mine = request.query_params.get("mine") in ("1", "true") and request.user.is_authenticated
        # One serializer for the page: building one per row copies its fields every time.
        summary = GroupSummaryOutput(context={"request": request})
        return viewer_page(
            self,
            (lambda viewer: groups_of(viewer=viewer, person=viewer)) if mine else groups_visible_to,
            ("title", "id"),
            summary.to_representation,
            shape="groups-mine" if mine else "groups-visible",
        )

    @extend_schema(request=GroupInput, responses={201: GroupOutput}, summary="Create a group")
    def post(self, request: Request) -> Response:
        data = validated(GroupInput, request.data)
        group = services.group_create(actor=request.user, **data)
        return Response(group_detail(request, group), status=status.HTTP_201_CREATED)


class GroupApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=GroupOutput, summary="A group, with the caller's standing in it")
    def get(self, request: Request, public_id: str) -> Response:
        group = access_group(request.user, public_id)
        return Response(group_detail(request, group))

    @extend_schema(request=GroupPatchInput, responses=GroupOutput, summary="Edit a group")
    def patch(self, request: Request, public_id: str) -> Response:
        group = access_group(request.user, public_id)
        data = validated(GroupPatchInput, request.data)
        if not data:
            raise exceptions.ValidationError({"non_field_errors": [_("Nothing to change.")]})
        group = services.group_update(actor=request.user, group=group, **data)
        return Response(group_detail(request, group))

    @extend_schema(responses={204: None}, summary="Delete a group (managers)")
    def delete(self, request: Request, public_id: str) -> Response:
        group = access_group(request.user, public_id)
        services.group_delete(actor=request.user, group=group)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupMembersApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        responses=GroupMemberOutput(many=True), summary="Members, in the order they joined"
    )
    def get(self, request: Request, public_id: str) -> Response:
        group = access_group(request.user, public_id)
        return cursor_page(self, group_members(group), ("id",), lambda m: _member(request.user, m))


class GroupRoleInput(serializers.Serializer):
    role = serializers.ChoiceField(Role.choices)


class GroupMemberApi(APIView):
    @extend_schema(
        request=GroupRoleInput, responses=GroupMemberOutput, summary="Change a member's role"
    )
    def patch(self, request: Request, public_id: str, person_id: str) -> Response:
        group = access_group(request.user, public_id)
        person = _one_of(group_members(group), person_id)
        data = validated(GroupRoleInput, request.data)
        membership = services.group_member_set_role(
            actor=request.user, group=group, person=person, role=data["role"]
        )
        return Response(_member(request.user, membership))

    @extend_schema(responses={204: None}, summary="Remove a member (managers), or leave")
    def delete(self, request: Request, public_id: str, person_id: str) -> Response:
        group = access_group(request.user, public_id)
        person = _one_of(group_members(group), person_id)
        services.group_member_remove(actor=request.user, group=group, person=person)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupJoinApi(APIView):
    @extend_schema(
        request=None,
        responses=GroupOutput,
        summary="Join (open groups, or accepting an invitation) or ask to join",
    )
    def post(self, request: Request, public_id: str) -> Response:
        group = access_group(request.user, public_id)
        services.group_join(actor=request.user, group=group)
        return Response(group_detail(request, group))


class GroupLeaveApi(APIView):
    @extend_schema(
        request=None,
        responses={204: None},
        summary="Leave; or withdraw one's request, or decline one's invitation",
    )
    def post(self, request: Request, public_id: str) -> Response:
        group = access_group(request.user, public_id)
        services.group_leave(actor=request.user, group=group)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupRequestsApi(APIView):
    @extend_schema(responses=GroupPendingOutput(many=True), summary="Join requests (managers)")
    def get(self, request: Request, public_id: str) -> Response:
        group = access_group(request.user, public_id, for_write=True)
        return cursor_page(
            self, group_join_requests(group), ("id",), lambda row: _pending(request.user, row)
        )


class GroupRequestDecisionInput(serializers.Serializer):
    decision = serializers.ChoiceField(["accept", "decline"])


class GroupRequestApi(APIView):
    @extend_schema(
        request=GroupRequestDecisionInput,
        responses={200: GroupMemberOutput, 204: None},
        summary="Accept (200, the new member) or decline (204) a join request",
    )
    def post(self, request: Request, public_id: str, person_id: str) -> Response:
        group = access_group(request.user, public_id, for_write=True)
        person = _one_of(group_join_requests(group), person_id)
        data = validated(GroupRequestDecisionInput, request.data)
        membership = services.group_request_decide(
            actor=request.user, group=group, person=person, accept=data["decision"] == "accept"
        )
        if membership is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(_member(request.user, membership))


class GroupInviteInput(serializers.Serializer):
    person = serializers.CharField(max_length=40)


class GroupInvitationsApi(APIView):
    @extend_schema(responses=GroupPendingOutput(many=True), summary="Invitations (managers)")
    def get(self, request: Request, public_id: str) -> Response:
        group = access_group(request.user, public_id, for_write=True)
        return cursor_page(
            self, group_invitations(group), ("id",), lambda row: _pending(request.user, row)
        )

    @extend_schema(
        request=GroupInviteInput, responses={201: GroupPendingOutput}, summary="Invite a person"
    )
    def post(self, request: Request, public_id: str) -> Response:
        group = access_group(request.user, public_id)
        data = validated(GroupInviteInput, request.data)
        person = people_visible_to(request.user).filter(public_id=data["person"]).first()
        if person is None:
            raise exceptions.ValidationError({"person": [_("No such person.")]})
        invitation = services.group_invite(actor=request.user, group=group, person=person)
        return Response(_pending(request.user, invitation), status=status.HTTP_201_CREATED)


class GroupInvitationApi(APIView):
    @extend_schema(responses={204: None}, summary="Withdraw an invitation (managers)")
    def delete(self, request: Request, public_id: str, person_id: str) -> Response:
        group = access_group(request.user, public_id, for_write=True)
        person = _one_of(group_invitations(group), person_id)
        services.group_invitation_cancel(actor=request.user, group=group, person=person)
        return Response(status=status.HTTP_204_NO_CONTENT)


PICTURE_UPLOAD = {
    "multipart/form-data": {
        "type": "object",
        "properties": {"picture": {"type": "string", "format": "binary"}},
        "required": ["picture"],
    }
}


class GroupPictureApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    parser_classes = [MultiPartParser, FormParser]

    def initial(self, request: Request, *args, **kwargs) -> None:
        # Before authentication: a session's CSRF check would read (and store) the body.
        if request.method == "PUT":
            refuse_oversized_body(
                request,
                limit=MAX_PICTURE_BYTES,
                slack=MULTIPART_SLACK,
                message=f"The picture is larger than {MAX_PICTURE_BYTES // (1024 * 1024)} MB.",
            )
        super().initial(request, *args, **kwargs)

    @extend_schema(
        responses={(200, "image/png"): bytes}, summary="The group's picture (a square PNG)"
    )
    def get(self, request: Request, public_id: str):
        group = access_group(request.user, public_id)
        if group.picture_id is None:
            raise exceptions.NotFound(_("This group has no picture."))
        blob = Blob.objects.get(pk=group.picture_id)
        return serve_blob(request, blob=blob, filename=f"{group.public_id}.png", mime="image/png")

    @extend_schema(
        request=PICTURE_UPLOAD,
        responses=GroupOutput,
        summary="Set or replace the group's picture (multipart, 'picture'; managers)",
    )
    def put(self, request: Request, public_id: str) -> Response:
        group = access_group(request.user, public_id)
        upload = request.FILES.get("picture")
        if upload is None:
            raise exceptions.ValidationError(
                {"picture": [_("Attach a JPEG, PNG, GIF or WebP image as the 'picture' part.")]}
            )
        group = services.group_picture_set(actor=request.user, group=group, source=upload)
        return Response(group_detail(request, group))

    @extend_schema(responses={200: GroupOutput}, summary="Remove the group's picture (managers)")
    def delete(self, request: Request, public_id: str) -> Response:
        group = access_group(request.user, public_id)
        group = services.group_picture_remove(actor=request.user, group=group)
        return Response(group_detail(request, group))
