"""The floors of tests/bench/bench_pages.py: each reads the rows its page shows with
``.values()`` (no permission expression, no models, no template, no serializer) and
answers a JsonResponse, through the same middleware as the page. The ids are the
bench's own (``configure``), so no floor reads a session, a user or a token."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest, JsonResponse
from django.urls import path

from tenant_apps.activity.models import FeedEntry
from tenant_apps.connections.models import Connection
from tenant_apps.content.models import Comment, ContentItem, ContentVersion, Share
from tenant_apps.groups.models import Group
from tenant_apps.institution.models import InstitutionProfile
from tenant_apps.messaging.models import ThreadState
from tenant_apps.people.models import PROFILE_FIELDS, User

_ids: dict[str, int] = {}


def configure(*, user_id: int, item_id: int, group_id: int) -> None:
    _ids.update(user=user_id, item=item_id, group=group_id)


def _limit(request: HttpRequest, default: int) -> int:
    return int(request.GET.get("limit", default))


ITEM_COLUMNS = ("public_id", "kind", "title", "description", "tags", "visibility", "created")


def dashboard(request: HttpRequest) -> JsonResponse:
    user = _ids["user"]
    mine = ContentItem.objects.filter(created_by_id=user).order_by("-created", "-id")
    shared = (
        ContentItem.objects.filter(shares__user_id=user)
        .exclude(created_by_id=user)
        .order_by("-created", "-id")
    )
    groups = Group.objects.filter(memberships__user_id=user).order_by("title", "id")
    feed = FeedEntry.objects.filter(user_id=user).order_by("-activity_id")
    unread = (
        ThreadState.objects.filter(user_id=user, is_unread=True)
        .exclude(folder="deleted")
        .values("folder")
        .annotate(n=Count("id"))
    )
    return JsonResponse(
        {
            "unread": list(unread),
            "invitations": Connection.objects.filter(invitee_id=user, status="pending").count(),
            "mine": list(mine.values(*ITEM_COLUMNS)[:5]),
            "shared": list(shared.values(*ITEM_COLUMNS)[:5]),
            "groups": list(groups.values("public_id", "title")[:8]),
            # The feed's window: 20 lines from at most 60 activities.
            "feed": list(
                feed.values(
                    "activity__public_id",
                    "activity__verb",
                    "activity__created",
                    "activity__actor__public_id",
                    "activity__actor__display_name",
                    "activity__item__public_id",
                    "activity__item__title",
                    "activity__group__title",
                )[:60]
            ),
        }
    )


def people(request: HttpRequest) -> JsonResponse:
    rows = (
        User.objects.filter(is_active=True, listed_in_directory=True)
        .order_by("display_name", "id")
        .values("public_id", "picture_sha256", *PROFILE_FIELDS)[: _limit(request, 25)]
    )
    return JsonResponse({"results": list(rows)})


def content(request: HttpRequest) -> JsonResponse:
    rows = (
        ContentItem.objects.filter(created_by_id=_ids["user"])
        .order_by("-created", "-id")
        # The API's list shows a link's address and a document's body too.
        .values(
            *ITEM_COLUMNS,
            "url",
            "body_html",
            "current_version__filename",
            "current_version__size",
        )[: _limit(request, 25)]
    )
    return JsonResponse({"results": list(rows)})


def groups(request: HttpRequest) -> JsonResponse:
    rows = (
        Group.objects.filter(Q(visibility__in=["public", "loggedin"]))
        .order_by("title", "id")
        .values("public_id", "title", "description", "visibility")[: _limit(request, 25)]
    )
    return JsonResponse({"results": list(rows)})


def item(request: HttpRequest) -> JsonResponse:
    item_id = _ids["item"]
    row = ContentItem.objects.filter(pk=item_id).values(*ITEM_COLUMNS, "created_by__display_name")
    versions = ContentVersion.objects.filter(item_id=item_id).order_by("-number", "-id")
    shares = Share.objects.filter(item_id=item_id).order_by("-created", "-id")
    comments = Comment.objects.filter(item_id=item_id).order_by("created", "id")
    return JsonResponse(
        {
            "item": list(row),
            "versions": list(
                versions.values("public_id", "number", "filename", "size", "created")[:100]
            ),
            "shares": list(
                shares.values("role", "created", "user__public_id", "group__title")[:20]
            ),
            "comments": list(
                comments.values("public_id", "body_html", "created", "author__display_name")[:500]
            ),
        }
    )


def institution(request: HttpRequest) -> JsonResponse:
    rows = InstitutionProfile.objects.values("name", "primary_colour", "logo_id")[:1]
    return JsonResponse({"results": list(rows)})


urlpatterns = [
    path("bench/floor/dashboard", dashboard),
    path("bench/floor/people", people),
    path("bench/floor/content", content),
    path("bench/floor/groups", groups),
    path("bench/floor/item", item),
    path("bench/floor/institution", institution),
]
