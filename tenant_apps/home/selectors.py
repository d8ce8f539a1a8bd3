"""Reads of the home dashboard: what a person sees first, and an admin's first-run checklist."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from config.db.shapes import shapes
from tenant_apps.connections.selectors import connections_list
from tenant_apps.content.models import ContentItem
from tenant_apps.content.selectors import content_recent_of, content_recent_shared_with
from tenant_apps.directory.models import LdapSettings, OidcSettings
from tenant_apps.groups.models import Group
from tenant_apps.groups.selectors import groups_of
from tenant_apps.institution.models import InstitutionProfile
from tenant_apps.messaging.selectors import folder_threads, unread_counts
from tenant_apps.people.models import User

RECENT = 5


@dataclass(frozen=True)
class Step:
    title: str
    done: bool
    url: str


def dashboard(user: User) -> dict:
    """The signed-in dashboard: recent items (mine and shared with me), my groups, unread
    messages and invitations waiting. A fixed number of queries, whatever the volumes."""
    unread = unread_counts(user)
    # The same lists for everyone but their id: their SQL is learned once per process
    # (config.db.shapes), not built and compiled on every dashboard.
    return {
        "my_items": shapes.rows(
            "home-mine", user, lambda who: content_recent_of(viewer=who)[:RECENT]
        ),
        "shared_items": shapes.rows(
            "home-shared", user, lambda who: recent_shared_with(who)[:RECENT]
        ),
        "groups": shapes.rows(
            "home-groups",
            user,
            lambda who: groups_of(viewer=who, person=who).order_by("title", "id")[:8],
        ),
        "unread": unread,
        "unread_threads": shapes.rows(
            "home-unread",
            user,
            lambda who: folder_threads(user=who, folder="inbox").filter(is_unread=True)[:RECENT],
        )
        if unread["inbox"]
        else [],
        "invitations": _incoming_count(user),
    }


def _incoming_count(user: User) -> int:
    """How many connection invitations wait for ``user``: ``connections_list(...).count()``,
    as one grouped row so that its SQL is learned once per process like the lists'."""
    rows = shapes.rows(
        "home-invitations",
        user,
        lambda who: (
            connections_list(user=who, which="incoming")
            .values("invitee_id")
            .annotate(n=Count("id"))
            .order_by()
        ),
    )
    return rows[0]["n"] if rows else 0


def recent_shared_with(user: User) -> QuerySet[ContentItem]:
    """The newest items shared with ``user`` (or their groups), for the dashboard's few.

    Read from the person's own shares, then sorted: ``NULLS LAST`` is an order no index of
    the items gives, so PostgreSQL cannot choose to walk every item of the institution,
    newest first, probing each for a share (what it did, and what cost a large
    institution's dashboard 3x a small one's when the person has few shares). The cost is
    that of the person's shares, whatever the institution holds."""
    return content_recent_shared_with(viewer=user).order_by(
        F("created").desc(nulls_last=True), F("id").desc()
    )


def first_run_checklist(profile: InstitutionProfile) -> list[Step]:
    """A new institution admin's first steps, each done or not (four small queries)."""
    default_colour = InstitutionProfile._meta.get_field("primary_colour").default
    signin = (
        LdapSettings.objects.filter(enabled=True).exists()
        or OidcSettings.objects.filter(enabled=True).exists()
    )
    return [
        Step(
            _("Add your logo and colour"),
            bool(profile.logo_id) or profile.primary_colour != default_colour,
            reverse("manage-institution"),
        ),
        Step(_("Choose how people sign in"), signin, reverse("manage-signin")),
        Step(
            _("Invite people"),
            User.objects.filter(is_active=True).count() > 1,
            reverse("manage-invite"),
        ),
        Step(_("Create the first group"), Group.objects.exists(), reverse("group-new")),
    ]
