"""Writes about groups: the one write path for each action, used by the pages and the API.

Changes to a group's members lock the group's row first (``select_for_update``), so two
managers stepping down at once cannot leave a group without a manager.

A group's picture holds one reference to its blob: setting, replacing, removing the
picture and deleting the group each move that reference in the same transaction as the
group's row, so the collector never takes a picture in use nor keeps one no one uses.
"""

from __future__ import annotations

from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from tenant_apps.activity.services import (
    activities_held_for_delete,
    activity_access_changed,
    activity_record,
)
from tenant_apps.blobs.images import picture_remove, picture_replace
from tenant_apps.blobs.models import Blob
from tenant_apps.blobs.services import blob_release
from tenant_apps.blobs.tenancy import current_tenant
from tenant_apps.groups.models import (
    Audience,
    Group,
    GroupInvitation,
    GroupJoinRequest,
    GroupMembership,
    JoinPolicy,
    Role,
)
from tenant_apps.people.models import User, Visibility

GROUP_EDITABLE = (
    "title",
    "description",
    "visibility",
    "join_policy",
    "library_policy",
    "message_policy",
)
# Pictures are shown small (lists, the group's page); a square of this side is plenty.
GROUP_PICTURE_SIDE = 256
LAST_MANAGER = "A group needs at least one manager: make someone else a manager first."


def _locked(group: Group) -> Group:
    return Group.objects.select_for_update().get(pk=group.pk)


def _require_manager(group: Group, actor: User) -> None:
    if not GroupMembership.objects.filter(group=group, user=actor, role=Role.MANAGER).exists():
        raise PermissionDenied(gettext("Only the group's managers may do that."))


def _clean(group: Group) -> None:
    group.title = group.title.strip()
    group.description = group.description.strip()
    if not group.title:
        raise ValidationError({"title": [gettext("A group needs a title.")]})
    group.full_clean(exclude=["created_by"])


@transaction.atomic
def group_create(
    *,
    actor: User,
    title: str,
    description: str = "",
    visibility: str = Visibility.LOGGEDIN,
    join_policy: str = JoinPolicy.REQUEST,
    library_policy: str = Audience.MEMBERS,
    message_policy: str = Audience.MEMBERS,
) -> Group:
    """Create a group with ``actor`` as its first manager. ValidationError on bad values."""
    group = Group(
        title=title,
        description=description,
        visibility=visibility,
        join_policy=join_policy,
        library_policy=library_policy,
        message_policy=message_policy,
        created_by=actor,
    )
    _clean(group)
    group.save()
    GroupMembership.objects.create(group=group, user=actor, role=Role.MANAGER)
    activity_record(actor=actor, verb="group.created", group=group)
    return group


@transaction.atomic
def group_update(*, actor: User, group: Group, **changes) -> Group:
    """Change title, description, visibility, join policy, or who may share into the
    library and message the group (managers only)."""
    _require_manager(group, actor)
    unknown = set(changes) - set(GROUP_EDITABLE)
    if unknown:
        raise ValidationError(
            {field: [gettext("This field cannot be changed.")] for field in unknown}
        )
    group = _locked(group)
    for field, value in changes.items():
        setattr(group, field, value)
    _clean(group)
    group.save(update_fields=[*changes, "modified"])
    return group


@transaction.atomic
def group_delete(*, actor: User, group: Group) -> None:
    """Move the group to the trash (managers only): no one sees it, and its shares grant
    nothing, until a manager restores it (``group_restore``); the purge (``group_purge``)
    deletes it for good after the institution's trash period."""
    _require_manager(group, actor)
    group = _locked(group)
    Group.objects.filter(pk=group.pk).update(deleted_at=timezone.now(), deleted_by=actor)
    activity_access_changed()


@transaction.atomic
def group_restore(*, actor: User, group: Group) -> Group:
    """Take a group out of the trash with its members, library and settings (managers)."""
    _require_manager(group, actor)
    Group.objects.filter(pk=group.pk).update(deleted_at=None, deleted_by=None)
    activity_access_changed()
    return Group.objects.get(pk=group.pk)


@transaction.atomic
def group_purge(*, group: Group) -> None:
    """Delete a trashed group for good (the trash's purge): its memberships, requests,
    invitations and shares; its picture's blob loses the group's reference."""
    group = Group.objects.select_for_update().filter(pk=group.pk, deleted_at__isnull=False).first()
    if group is None:
        return  # restored meanwhile
    picture_id = group.picture_id
    activities_held_for_delete(Q(group=group))
    group.delete()
    activity_access_changed()
    if picture_id is not None:
        blob_release(blob_id=picture_id)


def group_picture_set(*, actor: User, group: Group, source: IO[bytes]) -> Group:
    """Make ``source`` (a JPEG, PNG, GIF or WebP) the group's picture (managers only).

    The picture is re-encoded as a square PNG and stored once per distinct content;
    the picture it replaces loses a reference. ValidationError with a message for
    people when ``source`` is not a usable picture; BlobWriteError when storage fails
    (nothing changes). Returns the group as saved.
    """
    _require_manager(group, actor)  # before any byte is stored for someone who may not

    def attach(blob: Blob) -> int | None:
        locked = _locked(group)
        _require_manager(locked, actor)
        previous = locked.picture_id
        locked.picture = blob
        locked.save(update_fields=["picture", "modified"])
        return previous

    picture_replace(
        tenant=current_tenant(), source=source, side=GROUP_PICTURE_SIDE, square=True, attach=attach
    )
    return Group.objects.get(pk=group.pk)


def group_picture_remove(*, actor: User, group: Group) -> Group:
    """Remove the group's picture (managers only); removing none is harmless."""
    _require_manager(group, actor)

    def detach() -> int | None:
        locked = _locked(group)
        previous = locked.picture_id
        if previous is not None:
            locked.picture = None
            locked.save(update_fields=["picture", "modified"])
        return previous

    picture_remove(detach=detach)
    return Group.objects.get(pk=group.pk)


@transaction.atomic
def group_join(*, actor: User, group: Group) -> GroupMembership | GroupJoinRequest:
    """Join ``group`` as its policy allows.

    Open: a membership at once. By request: a join request for the managers. Invitation
    only: a membership if ``actor`` was invited (accepting the invitation), PermissionDenied
    otherwise. An invitation is honoured whatever the policy. Joining twice is harmless.
    """
    group = _locked(group)
    existing = GroupMembership.objects.filter(group=group, user=actor).first()
    if existing is not None:
        return existing
    invitation = GroupInvitation.objects.filter(group=group, user=actor).first()
    if invitation is not None or group.join_policy == JoinPolicy.OPEN:
        GroupInvitation.objects.filter(group=group, user=actor).delete()
        GroupJoinRequest.objects.filter(group=group, user=actor).delete()
        activity_record(actor=actor, verb="group.joined", group=group)
        return GroupMembership.objects.create(group=group, user=actor, role=Role.MEMBER)
    if group.join_policy == JoinPolicy.REQUEST:
        request, created = GroupJoinRequest.objects.get_or_create(group=group, user=actor)
        if created:
            activity_record(actor=actor, verb="group.join_requested", group=group)
        return request
    raise PermissionDenied(gettext("This group is by invitation only."))


def _without_last_manager(group: Group, leaving: GroupMembership) -> bool:
    if leaving.role != Role.MANAGER:
        return False
    return not (
        GroupMembership.objects.filter(group=group, role=Role.MANAGER)
        .exclude(pk=leaving.pk)
        .exists()
    )


@transaction.atomic
def group_leave(*, actor: User, group: Group) -> None:
    """Leave the group; for a non-member, withdraw one's request or decline one's invitation.

    ValidationError for the group's last manager.
    """
    group = _locked(group)
    membership = GroupMembership.objects.filter(group=group, user=actor).first()
    if membership is None:
        GroupJoinRequest.objects.filter(group=group, user=actor).delete()
        GroupInvitation.objects.filter(group=group, user=actor).delete()
        return
    if _without_last_manager(group, membership):
        raise ValidationError(LAST_MANAGER)
    membership.delete()
    activity_access_changed()


@transaction.atomic
def group_member_remove(*, actor: User, group: Group, person: User) -> None:
    """A manager removes a member (or a member themself leaves). Never the last manager."""
    if person.pk == actor.pk:
        group_leave(actor=actor, group=group)
        return
    _require_manager(group, actor)
    group = _locked(group)
    membership = GroupMembership.objects.filter(group=group, user=person).first()
    if membership is None:
        raise ValidationError({"person": [gettext("This person is not a member of the group.")]})
    if _without_last_manager(group, membership):
        raise ValidationError(LAST_MANAGER)
    membership.delete()
    activity_access_changed()


@transaction.atomic
def group_member_set_role(*, actor: User, group: Group, person: User, role: str) -> GroupMembership:
    """A manager makes a member a manager or a manager a member. Never the last manager."""
    if role not in Role.values:
        raise ValidationError(
            {"role": [gettext("Choose one of: %(join)s.") % {"join": ", ".join(Role.values)}]}
        )
    _require_manager(group, actor)
    group = _locked(group)
    membership = GroupMembership.objects.filter(group=group, user=person).first()
    if membership is None:
        raise ValidationError({"person": [gettext("This person is not a member of the group.")]})
    if role == Role.MEMBER and _without_last_manager(group, membership):
        raise ValidationError(LAST_MANAGER)
    if membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
        activity_record(actor=actor, verb="group.role_changed", group=group, person=person)
    return membership


@transaction.atomic
def group_request_decide(
    *, actor: User, group: Group, person: User, accept: bool
) -> GroupMembership | None:
    """A manager accepts (a membership) or declines (nothing) a person's join request."""
    _require_manager(group, actor)
    group = _locked(group)
    deleted, _ = GroupJoinRequest.objects.filter(group=group, user=person).delete()
    if not deleted:
        raise ValidationError({"person": [gettext("This person has not asked to join.")]})
    if not accept:
        return None
    membership, _created = GroupMembership.objects.get_or_create(
        group=group, user=person, defaults={"role": Role.MEMBER}
    )
    activity_record(actor=actor, verb="group.member_added", group=group, person=person)
    return membership


@transaction.atomic
def group_invite(*, actor: User, group: Group, person: User) -> GroupInvitation:
    """A manager invites a person; they become a member only by accepting (joining), so no
    one becomes a member without saying yes. Inviting twice is harmless."""
    _require_manager(group, actor)
    group = _locked(group)
    if not person.is_active:
        raise ValidationError({"person": [gettext("No such person.")]})
    if GroupMembership.objects.filter(group=group, user=person).exists():
        raise ValidationError({"person": [gettext("This person is already a member.")]})
    invitation, created = GroupInvitation.objects.get_or_create(
        group=group, user=person, defaults={"invited_by": actor}
    )
    if created:
        activity_record(actor=actor, verb="group.invited", group=group, person=person)
    return invitation


@transaction.atomic
def group_invitation_cancel(*, actor: User, group: Group, person: User) -> None:
    """A manager withdraws an invitation (the invitee declines with ``group_leave``)."""
    _require_manager(group, actor)
    deleted, _ = GroupInvitation.objects.filter(group=group, user=person).delete()
    if not deleted:
        raise ValidationError({"person": [gettext("This person has no invitation.")]})
