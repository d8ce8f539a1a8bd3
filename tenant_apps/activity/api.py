"""Activity API: feeds, notifications and e-mail preferences.

``/api/v1/activity/`` (my feed), ``/api/v1/groups/{g_id}/activity/``,
``/api/v1/content/{c_id}/activity/``, ``/api/v1/people/{u_id}/activity/`` (their public
activity), ``/api/v1/notifications/`` (GET; POST marks read),
``/api/v1/notifications/unread`` and ``/api/v1/me/preferences``. Feeds are keyset pages
(``?after=<a_id>``, ``?limit=``, at most 100) aggregated as they are read.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.inputs import validated
from tenant_apps.activity.models import Category, Frequency
from tenant_apps.activity.selectors import (
    entry_data,
    feed_of,
    feed_of_folder,
    feed_of_group,
    feed_of_item,
    feed_of_person,
    notification_data,
    notifications_page,
    unread_count,
)
from tenant_apps.activity.services import (
    email_preferences,
    email_preferences_update,
    notifications_mark_read,
)
from tenant_apps.connections.access import access_person_activity
from tenant_apps.content.access import access_content
from tenant_apps.folders.access import access_folder
from tenant_apps.groups.access import access_group

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
PAGE_PARAMETERS = [
    OpenApiParameter("after", str, description="continue after this id (from `next`)"),
    OpenApiParameter("limit", int, description=f"page size, 1 to {MAX_LIMIT} (default 25)"),
]


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit")
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_LIMIT:
        raise exceptions.ValidationError(
            {"limit": [_("A number from 1 to %(max_limit)s.") % {"max_limit": MAX_LIMIT}]}
        )
    return value


def _after(request: Request) -> str | None:
    after = request.query_params.get("after") or None
    if after is not None and (len(after) > 40 or "\x00" in after):
        raise exceptions.NotFound(_("No such page."))
    return after


def _next(request: Request, after: str | None) -> str | None:
    if after is None:
        return None
    query = {**request.query_params.dict(), "after": after}
    return request.build_absolute_uri(f"{request.path}?{urlencode(query)}")


class PersonSummary(serializers.Serializer):
    id = serializers.CharField()
    display_name = serializers.CharField(required=False)


class ObjectOutput(serializers.Serializer):
    type = serializers.CharField(help_text="content, group or thread")
    id = serializers.CharField()
    title = serializers.CharField()


class TargetOutput(serializers.Serializer):
    type = serializers.CharField(help_text="person or group")
    id = serializers.CharField()
    display_name = serializers.CharField(required=False)
    title = serializers.CharField(required=False)


class EntryOutput(serializers.Serializer):
    id = serializers.CharField(help_text="the newest activity of the entry (a_...)")
    verb = serializers.CharField()
    summary = serializers.CharField()
    actors = PersonSummary(many=True, help_text="up to 10")
    actor_count = serializers.IntegerField()
    object = ObjectOutput(allow_null=True)
    targets = TargetOutput(many=True)
    count = serializers.IntegerField(help_text="how many activities the entry aggregates")
    created = serializers.DateTimeField()
    url = serializers.CharField()


class FeedOutput(serializers.Serializer):
    results = EntryOutput(many=True)
    next = serializers.URLField(allow_null=True)


def _feed_response(request: Request, entries, after: str | None) -> Response:
    return Response(
        {"results": [entry_data(request.user, e) for e in entries], "next": _next(request, after)}
    )


class ActivityFeedApi(APIView):
    @extend_schema(parameters=PAGE_PARAMETERS, responses=FeedOutput, summary="My activity feed")
    def get(self, request: Request) -> Response:
        entries, after = feed_of(viewer=request.user, after=_after(request), size=_limit(request))
        return _feed_response(request, entries, after)


class GroupFeedApi(APIView):
    @extend_schema(parameters=PAGE_PARAMETERS, responses=FeedOutput, summary="A group's feed")
    def get(self, request: Request, public_id: str) -> Response:
        group = access_group(request.user, public_id)
        entries, after = feed_of_group(
            viewer=request.user, group=group, after=_after(request), size=_limit(request)
        )
        return _feed_response(request, entries, after)


class PersonFeedApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        parameters=PAGE_PARAMETERS,
        responses=FeedOutput,
        summary="A person's public activity as the caller may see it (404 if no followers allowed)",
    )
    def get(self, request: Request, public_id: str) -> Response:
        person = access_person_activity(request.user, public_id)
        entries, after = feed_of_person(
            viewer=request.user, person=person, after=_after(request), size=_limit(request)
        )
        return _feed_response(request, entries, after)


class ItemFeedApi(APIView):
    @extend_schema(parameters=PAGE_PARAMETERS, responses=FeedOutput, summary="An item's feed")
    def get(self, request: Request, public_id: str) -> Response:
        item = access_content(request.user, public_id)
        entries, after = feed_of_item(
            viewer=request.user, item=item, after=_after(request), size=_limit(request)
        )
        return _feed_response(request, entries, after)


class FolderFeedApi(APIView):
    @extend_schema(parameters=PAGE_PARAMETERS, responses=FeedOutput, summary="A folder's feed")
    def get(self, request: Request, public_id: str) -> Response:
        folder = access_folder(request.user, public_id)
        entries, after = feed_of_folder(
            viewer=request.user, folder=folder, after=_after(request), size=_limit(request)
        )
        return _feed_response(request, entries, after)


class NotificationOutput(serializers.Serializer):
    id = serializers.CharField()
    category = serializers.ChoiceField(Category.choices)
    is_read = serializers.BooleanField()
    created = serializers.DateTimeField()
    activity = EntryOutput()


class MarkReadInput(serializers.Serializer):
    read = serializers.ListField(
        child=serializers.CharField(max_length=40), max_length=500, required=False
    )
    all = serializers.BooleanField(required=False)

    def validate(self, attrs):
        if not attrs.get("all") and not attrs.get("read"):
            raise serializers.ValidationError(
                _('Give the ids to mark read ("read": [...]) or "all": true.')
            )
        return attrs


UNREAD = inline_serializer("Unread", {"unread": serializers.IntegerField()})


class NotificationsApi(APIView):
    @extend_schema(
        parameters=PAGE_PARAMETERS,
        responses=inline_serializer(
            "NotificationPage",
            {
                "results": NotificationOutput(many=True),
                "next": serializers.URLField(allow_null=True),
            },
        ),
        summary="My notifications, newest first",
    )
    def get(self, request: Request) -> Response:
        rows, after = notifications_page(
            viewer=request.user, after=_after(request), size=_limit(request)
        )
        return Response(
            {
                "results": [notification_data(request.user, n) for n in rows],
                "next": _next(request, after),
            }
        )

    @extend_schema(
        request=MarkReadInput,
        responses={
            200: inline_serializer(
                "MarkedRead",
                {"changed": serializers.IntegerField(), "unread": serializers.IntegerField()},
            )
        },
        summary='Mark notifications read: {"read": ["n_..."]} or {"all": true}',
    )
    def post(self, request: Request) -> Response:
        data = validated(MarkReadInput, request.data)
        changed = notifications_mark_read(
            actor=request.user, public_ids=None if data.get("all") else data["read"]
        )
        return Response({"changed": changed, "unread": unread_count(request.user)})


class UnreadApi(APIView):
    @extend_schema(responses=UNREAD, summary="How many of my notifications are unread")
    def get(self, request: Request) -> Response:
        return Response({"unread": unread_count(request.user)})


class PreferencesOutput(serializers.Serializer):
    email = serializers.DictField(
        child=serializers.ChoiceField(Frequency.choices),
        help_text=f"frequency per category: {', '.join(Category.values)}",
    )


class PreferencesInput(serializers.Serializer):
    email = serializers.DictField(child=serializers.CharField(max_length=20))


class PreferencesApi(APIView):
    @extend_schema(responses=PreferencesOutput, summary="My e-mail frequency per category")
    def get(self, request: Request) -> Response:
        return Response({"email": email_preferences(request.user)})

    @extend_schema(
        request=PreferencesInput,
        responses=PreferencesOutput,
        summary="Change my e-mail frequency per category (immediate, daily, weekly, never)",
    )
    def patch(self, request: Request) -> Response:
        data = validated(PreferencesInput, request.data)
        email = email_preferences_update(actor=request.user, changes=data["email"])
        return Response({"email": email})
