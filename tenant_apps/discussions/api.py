"""Discussions API: ``/api/v1/discussions/...`` - topics, threaded replies, following,
members. A topic the caller may not see answers 404 on every path, like a missing one."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.inputs import validated
from config.api.pagination import cursor_page
from tenant_apps.discussions.access import access_discussion, access_reply
from tenant_apps.discussions.models import Discussion, DiscussionMember, DiscussionRole, Reply
from tenant_apps.discussions.selectors import (
    ORDER,
    discussion_list,
    discussion_members,
    discussion_replies,
    topic_mentions,
)
from tenant_apps.discussions.services import (
    MAX_MENTIONS,
    discussion_create,
    discussion_delete,
    discussion_follow,
    discussion_member_add,
    discussion_member_remove,
    discussion_unfollow,
    discussion_update,
    people_resolve,
    reply_create,
)
from tenant_apps.groups.access import access_group
from tenant_apps.people.api import PersonSummaryOutput
from tenant_apps.people.models import Visibility
from tenant_apps.people.selectors import person_summary


class GroupRefOutput(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()


class StandingOutput(serializers.Serializer):
    can_manage = serializers.BooleanField()
    follows = serializers.BooleanField()


class DiscussionOutput(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField(help_text="sanitised HTML")
    visibility = serializers.ChoiceField(Visibility.choices)
    group = GroupRefOutput(allow_null=True)
    author = PersonSummaryOutput(allow_null=True)
    created = serializers.DateTimeField()
    last_activity_at = serializers.DateTimeField()
    reply_count = serializers.IntegerField()
    me = StandingOutput()


class DiscussionDetailOutput(DiscussionOutput):
    mentions = PersonSummaryOutput(many=True)


class ReplyOutput(serializers.Serializer):
    id = serializers.CharField()
    parent = serializers.CharField(allow_null=True, help_text="the reply answered, if any")
    depth = serializers.IntegerField()
    author = PersonSummaryOutput(allow_null=True)
    body = serializers.CharField(help_text="sanitised HTML")
    created = serializers.DateTimeField()
    mentions = PersonSummaryOutput(many=True)


class MemberOutput(serializers.Serializer):
    person = PersonSummaryOutput()
    role = serializers.ChoiceField(DiscussionRole.choices)


def discussion_data(viewer, discussion: Discussion, *, detail: bool = False) -> dict:
    data = {
        "id": discussion.public_id,
        "title": discussion.title,
        "body": discussion.body,
        "visibility": discussion.visibility,
        "group": (
            {"id": discussion.group.public_id, "title": discussion.group.title}
            if discussion.group is not None
            else None
        ),
        "author": (
            person_summary(viewer, discussion.created_by) if discussion.created_by else None
        ),
        "created": discussion.created,
        "last_activity_at": discussion.last_activity_at,
        "reply_count": discussion.reply_count,
        "me": {
            "can_manage": bool(discussion.viewer_can_manage),
            "follows": bool(discussion.viewer_follows),
        },
    }
    if detail:
        data["mentions"] = [person_summary(viewer, p) for p in topic_mentions(discussion)]
    return data


def reply_data(viewer, reply: Reply) -> dict:
    return {
        "id": reply.public_id,
        "parent": reply.parent.public_id if reply.parent_id else None,
        "depth": reply.depth,
        "author": person_summary(viewer, reply.author) if reply.author else None,
        "body": reply.body,
        "created": reply.created,
        "mentions": [person_summary(viewer, m.user) for m in reply.mentions.all()],
    }


def member_data(viewer, member: DiscussionMember) -> dict:
    return {"person": person_summary(viewer, member.user), "role": member.role}


def _ids(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=40), max_length=MAX_MENTIONS, **kwargs
    )


class DiscussionCreateInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=50_000)
    visibility = serializers.ChoiceField(Visibility.choices, default=Visibility.LOGGEDIN)
    group = serializers.CharField(max_length=40, required=False, help_text="g_... (optional)")
    mentions = _ids(required=False, default=list, help_text="people (u_...) to mention")


class DiscussionPatchInput(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    body = serializers.CharField(max_length=50_000, required=False)
    visibility = serializers.ChoiceField(Visibility.choices, required=False)


class ReplyInput(serializers.Serializer):
    body = serializers.CharField(max_length=50_000)
    parent = serializers.CharField(max_length=40, required=False, help_text="dr_... answered")
    mentions = _ids(required=False, default=list, help_text="people (u_...) to mention")


class MemberInput(serializers.Serializer):
    person = serializers.CharField(max_length=40)
    role = serializers.ChoiceField(DiscussionRole.choices, default=DiscussionRole.MEMBER)


class MemberPatchInput(serializers.Serializer):
    role = serializers.ChoiceField(DiscussionRole.choices)


class DiscussionsApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        parameters=[OpenApiParameter("group", str, description="only this group's (g_...)")],
        responses=DiscussionOutput(many=True),
        summary="Discussions the caller may see, with the newest replies first",
    )
    def get(self, request: Request) -> Response:
        group = None
        if request.query_params.get("group"):
            group = access_group(request.user, request.query_params["group"][:40])
        return cursor_page(
            self,
            discussion_list(viewer=request.user, group=group),
            ORDER,
            lambda d: discussion_data(request.user, d),
        )

    @extend_schema(
        request=DiscussionCreateInput,
        responses={201: DiscussionDetailOutput},
        summary="Start a discussion, on its own or within a group (its members only)",
    )
    def post(self, request: Request) -> Response:
        data = validated(DiscussionCreateInput, request.data)
        group_id = data.pop("group", None)
        group = access_group(request.user, group_id) if group_id else None
        discussion = discussion_create(actor=request.user, group=group, **data)
        discussion = access_discussion(request.user, discussion.public_id)
        return Response(
            discussion_data(request.user, discussion, detail=True),
            status=status.HTTP_201_CREATED,
        )


class DiscussionApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=DiscussionDetailOutput, summary="A discussion")
    def get(self, request: Request, public_id: str) -> Response:
        discussion = access_discussion(request.user, public_id)
        return Response(discussion_data(request.user, discussion, detail=True))

    @extend_schema(
        request=DiscussionPatchInput,
        responses=DiscussionDetailOutput,
        summary="Change the title, text or visibility (managers; 403 for other viewers)",
    )
    def patch(self, request: Request, public_id: str) -> Response:
        discussion = access_discussion(request.user, public_id)
        data = validated(DiscussionPatchInput, request.data)
        if not data:
            raise exceptions.ValidationError({"non_field_errors": [_("Nothing to change.")]})
        discussion_update(actor=request.user, discussion=discussion, **data)
        discussion = access_discussion(request.user, public_id)
        return Response(discussion_data(request.user, discussion, detail=True))

    @extend_schema(responses={204: None}, summary="Delete with its replies (managers)")
    def delete(self, request: Request, public_id: str) -> Response:
        discussion = access_discussion(request.user, public_id)
        discussion_delete(actor=request.user, discussion=discussion)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RepliesApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        responses=ReplyOutput(many=True),
        summary="Replies in thread order (each followed by its answers)",
    )
    def get(self, request: Request, public_id: str) -> Response:
        discussion = access_discussion(request.user, public_id)
        return cursor_page(
            self, discussion_replies(discussion), ("path",), lambda r: reply_data(request.user, r)
        )

    @extend_schema(
        request=ReplyInput,
        responses={201: ReplyOutput},
        summary="Reply to the discussion or to one of its replies; the caller follows it",
    )
    def post(self, request: Request, public_id: str) -> Response:
        discussion = access_discussion(request.user, public_id)
        data = validated(ReplyInput, request.data)
        parent_id = data.pop("parent", None)
        parent = access_reply(discussion, parent_id) if parent_id else None
        reply = reply_create(actor=request.user, discussion=discussion, parent=parent, **data)
        reply = discussion_replies(discussion).get(pk=reply.pk)
        return Response(reply_data(request.user, reply), status=status.HTTP_201_CREATED)


class FollowApi(APIView):
    @extend_schema(request=None, responses=StandingOutput, summary="Follow the discussion")
    def post(self, request: Request, public_id: str) -> Response:
        discussion = access_discussion(request.user, public_id)
        discussion_follow(actor=request.user, discussion=discussion)
        return Response({"can_manage": bool(discussion.viewer_can_manage), "follows": True})

    @extend_schema(responses=StandingOutput, summary="Stop following the discussion")
    def delete(self, request: Request, public_id: str) -> Response:
        discussion = access_discussion(request.user, public_id)
        discussion_unfollow(actor=request.user, discussion=discussion)
        return Response({"can_manage": bool(discussion.viewer_can_manage), "follows": False})


class MembersApi(APIView):
    @extend_schema(responses=MemberOutput(many=True), summary="Members (managers only; 404)")
    def get(self, request: Request, public_id: str) -> Response:
        discussion = access_discussion(request.user, public_id, for_write=True)
        return cursor_page(
            self,
            discussion_members(discussion),
            ("id",),
            lambda m: member_data(request.user, m),
        )

    @extend_schema(
        request=MemberInput,
        responses={201: MemberOutput},
        summary="Add a member or a manager (managers)",
    )
    def post(self, request: Request, public_id: str) -> Response:
        discussion = access_discussion(request.user, public_id, for_write=True)
        data = validated(MemberInput, request.data)
        person = people_resolve(actor=request.user, ids=[data["person"]], field="person")[0]
        member = discussion_member_add(
            actor=request.user, discussion=discussion, person=person, role=data["role"]
        )
        return Response(member_data(request.user, member), status=status.HTTP_201_CREATED)


class MemberApi(APIView):
    @extend_schema(request=MemberPatchInput, responses=MemberOutput, summary="Change a role")
    def patch(self, request: Request, public_id: str, person_id: str) -> Response:
        discussion = access_discussion(request.user, public_id, for_write=True)
        data = validated(MemberPatchInput, request.data)
        person = people_resolve(actor=request.user, ids=[person_id], field="person")[0]
        member = discussion_member_add(
            actor=request.user, discussion=discussion, person=person, role=data["role"]
        )
        return Response(member_data(request.user, member))

    @extend_schema(responses={204: None}, summary="Remove a member (managers), or leave")
    def delete(self, request: Request, public_id: str, person_id: str) -> Response:
        discussion = access_discussion(request.user, public_id)
        person = people_resolve(actor=request.user, ids=[person_id], field="person")[0]
        discussion_member_remove(actor=request.user, discussion=discussion, person=person)
        return Response(status=status.HTTP_204_NO_CONTENT)
