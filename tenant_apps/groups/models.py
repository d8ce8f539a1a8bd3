"""Groups of people in one institution, and who belongs to them with which role.

The content library shares items with groups and decides access through
``GroupMembership``; the groups' own pages, joining and invitations build on these.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from config.ids import PUBLIC_ID_MAX_LENGTH, new_public_id
from tenant_apps.blobs.models import Blob
from tenant_apps.people.models import Visibility


def new_group_id() -> str:
    # A module-level function, so that migrations can name it.
    return new_public_id("g")


class JoinPolicy(models.TextChoices):
    OPEN = "open", _("Anyone who can see the group may join")
    REQUEST = "request", _("People ask to join; a manager accepts or declines")
    INVITATION = "invitation", _("Only people a manager invites")


class Audience(models.TextChoices):
    """Who may share into a group's library, or send a message to the whole group."""

    MEMBERS = "members", _("The group's members")
    MANAGERS = "managers", _("The group's managers only")
    ANYONE = "anyone", _("Anyone who can see the group")


class Role(models.TextChoices):
    MEMBER = "member", _("Member")
    MANAGER = "manager", _("Manager")


class Group(models.Model):
    public_id = models.CharField(
        max_length=PUBLIC_ID_MAX_LENGTH, unique=True, default=new_group_id, editable=False
    )
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=5000, blank=True)
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.LOGGEDIN
    )
    join_policy = models.CharField(
        max_length=10, choices=JoinPolicy.choices, default=JoinPolicy.REQUEST
    )
    # Members only by default: a stranger may neither push content into the group's
    # library nor message its members (an invitation-only group of 5,000 included).
    library_policy = models.CharField(
        max_length=8, choices=Audience.choices, default=Audience.MEMBERS, db_default="members"
    )
    message_policy = models.CharField(
        max_length=8, choices=Audience.choices, default=Audience.MEMBERS, db_default="members"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)
    # A square PNG (tenant_apps.blobs.images) holding one of the blob's references;
    # PROTECT makes a miscounted blob fail to collect rather than vanish under the group.
    picture = models.ForeignKey(
        Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Search (tenant_apps.search): title and description, kept by a trigger.
    search_vector = SearchVectorField(null=True, editable=False)
    # In the trash since then (group_delete): invisible everywhere but its managers'
    # trash, and its shares grant nothing; restored by them, or purged after the
    # institution's trash period.
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(
                fields=["deleted_at"],
                name="group_trash_idx",
                condition=models.Q(deleted_at__isnull=False),
            ),
            GinIndex(fields=["search_vector"], name="group_search_idx"),
            GinIndex(fields=["title"], opclasses=["gin_trgm_ops"], name="group_title_trgm_idx"),
            models.Index(fields=["-modified", "-id"], name="group_recent_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class GroupMembership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships"
    )
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.MEMBER)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="group_membership_unique"),
        ]
        indexes = [
            # "Which groups am I in?" - the permission rule asks this on every list.
            models.Index(fields=["user", "group"], name="group_membership_user_idx"),
            # Member lists in keyset pages: the same cost on the first and the last page.
            models.Index(fields=["group", "id"], name="group_membership_page_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.group_id} ({self.role})"


class GroupJoinRequest(models.Model):
    """Someone asking to join a group whose join policy is "request"; a manager decides."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="join_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="group_request_unique"),
        ]
        indexes = [models.Index(fields=["group", "id"], name="group_request_page_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} asks to join {self.group_id}"


class GroupInvitation(models.Model):
    """A manager inviting a person; the person joins by accepting (joining) or declines."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="group_invitation_unique"),
        ]
        indexes = [
            models.Index(fields=["group", "id"], name="group_invitation_page_idx"),
            models.Index(fields=["user", "group"], name="group_invitation_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} invited to {self.group_id}"
