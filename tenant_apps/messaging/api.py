"""Messages API: ``/api/v1/messages/...`` - folders, threads, replies, unread counts.

Only a thread's participants find it; anyone else gets 404 for its id.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.inputs import validated
from config.api.pagination import cursor_page
from tenant_apps.messaging.access import access_thread
from tenant_apps.messaging.models import Message, ThreadState
from tenant_apps.messaging.selectors import (
    FOLDERS,
    folder_ordering,
    folder_threads,
    thread_messages,
    thread_participant_count,
    thread_participants,
    unread_counts,
)
from tenant_apps.messaging.services import (
    MAX_ADDRESSES,
    MOVABLE,
    message_reply,
    message_send,
    thread_delete,
    thread_mark,
    thread_move,
)
from tenant_apps.people.api import PersonSummaryOutput
from tenant_apps.people.selectors import person_summary

PARTICIPANTS_SHOWN = 50


class ThreadSummaryOutput(serializers.Serializer):
    id = serializers.CharField()
    subject = serializers.CharField()
    folder = serializers.CharField()
    unread = serializers.BooleanField()
    last_message_at = serializers.DateTimeField()


class ThreadOutput(ThreadSummaryOutput):
    participant_count = serializers.IntegerField()
    participants = PersonSummaryOutput(
        many=True,
        help_text=f"the first {PARTICIPANTS_SHOWN}",
    )


class MessageOutput(serializers.Serializer):
    id = serializers.CharField()
    sender = PersonSummaryOutput(allow_null=True)
    body = serializers.CharField(help_text="sanitised HTML")
    created = serializers.DateTimeField()


def thread_summary(state: ThreadState) -> dict:
    return {
        "id": state.thread.public_id,
        "subject": state.thread.subject,
        "folder": state.folder,
        "unread": state.is_unread,
        "last_message_at": state.last_message_at,
    }


def thread_detail(viewer, state: ThreadState) -> dict:
    data = thread_summary(state)
    data["participant_count"] = thread_participant_count(state)
    data["participants"] = [
        person_summary(viewer, p.user) for p in thread_participants(state)[:PARTICIPANTS_SHOWN]
    ]
    return data


def message_data(viewer, message: Message) -> dict:
    return {
        "id": message.public_id,
        "sender": person_summary(viewer, message.sender) if message.sender else None,
        "body": message.body,
        "created": message.created,
    }


class MessageSendInput(serializers.Serializer):
    to = serializers.ListField(
        child=serializers.CharField(max_length=40), min_length=1, max_length=MAX_ADDRESSES
    )
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=50_000)


class MessageReplyInput(serializers.Serializer):
    body = serializers.CharField(max_length=50_000)


class ThreadPatchInput(serializers.Serializer):
    folder = serializers.ChoiceField([str(f) for f in MOVABLE], required=False)
    unread = serializers.BooleanField(required=False)


class ThreadsApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("folder", str, enum=FOLDERS, description="default inbox")],
        responses=ThreadSummaryOutput(many=True),
        summary="The caller's threads in a folder, newest first",
    )
    def get(self, request: Request) -> Response:
        folder = request.query_params.get("folder", "inbox")
        if folder not in FOLDERS:
            raise exceptions.ValidationError(
                {"folder": [_("Choose one of: %(join)s.") % {"join": ", ".join(FOLDERS)}]}
            )
        return cursor_page(
            self,
            folder_threads(user=request.user, folder=folder),
            folder_ordering(folder),
            thread_summary,
        )

    @extend_schema(
        request=MessageSendInput,
        responses={201: ThreadOutput},
        summary="Start a thread with people and groups (groups reach their members now)",
    )
    def post(self, request: Request) -> Response:
        data = validated(MessageSendInput, request.data)
        thread = message_send(actor=request.user, **data)
        state = access_thread(request.user, thread.public_id)
        return Response(thread_detail(request.user, state), status=status.HTTP_201_CREATED)


class UnreadApi(APIView):
    @extend_schema(
        responses=inline_serializer(
            "UnreadCounts",
            {f: serializers.IntegerField() for f in ("inbox", "archive", "trash")},
        ),
        summary="Unread threads per folder",
    )
    def get(self, request: Request) -> Response:
        return Response(unread_counts(request.user))


class ThreadApi(APIView):
    @extend_schema(responses=ThreadOutput, summary="A thread the caller takes part in")
    def get(self, request: Request, public_id: str) -> Response:
        state = access_thread(request.user, public_id)
        return Response(thread_detail(request.user, state))

    @extend_schema(
        request=MessageReplyInput,
        responses={201: MessageOutput},
        summary="Reply",
        operation_id="v1_messages_reply",
    )
    def post(self, request: Request, public_id: str) -> Response:
        state = access_thread(request.user, public_id)
        data = validated(MessageReplyInput, request.data)
        message = message_reply(actor=request.user, state=state, body=data["body"])
        return Response(message_data(request.user, message), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ThreadPatchInput,
        responses=ThreadOutput,
        summary="Mark read or unread; move to inbox, archive or trash (for the caller alone)",
    )
    def patch(self, request: Request, public_id: str) -> Response:
        state = access_thread(request.user, public_id)
        data = validated(ThreadPatchInput, request.data)
        if not data:
            raise exceptions.ValidationError({"non_field_errors": [_("Nothing to change.")]})
        if "unread" in data:
            state = thread_mark(actor=request.user, state=state, is_unread=data["unread"])
        if "folder" in data:
            state = thread_move(actor=request.user, state=state, folder=data["folder"])
        return Response(thread_detail(request.user, state))

    @extend_schema(responses={204: None}, summary="Delete the thread for the caller alone")
    def delete(self, request: Request, public_id: str) -> Response:
        state = access_thread(request.user, public_id)
        thread_delete(actor=request.user, state=state)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ThreadMessagesApi(APIView):
    @extend_schema(responses=MessageOutput(many=True), summary="A thread's messages, oldest first")
    def get(self, request: Request, public_id: str) -> Response:
        state = access_thread(request.user, public_id)
        return cursor_page(
            self, thread_messages(state), ("id",), lambda m: message_data(request.user, m)
        )
