"""Erasing a person: asked for by them or an admin, carried out after a grace period.

What happens (``erasure_carry_out``), in one transaction:
- their content nobody else manages is deleted, or handed to the institution's named
  owner (``PrivacySettings.content_policy``); their shares, memberships, connections,
  blocks, invitations, join requests, discussion memberships, follows and mentions,
  feeds, notifications, e-mail settings, exports,
  external sign-in identities, tokens and sessions are deleted; their picture is removed
  (its blob loses its reference, and the blob collector removes bytes nobody else uses);
- the account row stays as an anonymous remainder, so that messages, comments,
  document revisions and activities they took part in keep their place and show
  "Former member": its username becomes its opaque id, every profile field, the
  e-mail address and the password are emptied, and it cannot sign in again;
- the institution's audit trail keeps only the opaque id: entries by or about the
  person lose their name, username and e-mail address.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tenant_apps.account.exports import exports_delete_for
from tenant_apps.account.mail import mail_after_commit
from tenant_apps.account.models import (
    ContentPolicy,
    ErasureRequest,
    ErasureStatus,
    SessionRecord,
)
from tenant_apps.account.selectors import erasure_scheduled_for, privacy_settings
from tenant_apps.account.services import sessions_end_all
from tenant_apps.activity.models import EmailDelivery, EmailPreference, FeedEntry, Notification
from tenant_apps.avatars.services import avatar_remove
from tenant_apps.connections.models import Block, Connection, Follow, FollowSettings
from tenant_apps.content.models import ContentItem, Share, ShareRole
from tenant_apps.content.services import content_purge
from tenant_apps.directory.models import ExternalIdentity
from tenant_apps.discussions.models import DiscussionMember, Follower, Mention
from tenant_apps.folders.models import Folder, FolderRole, FolderShare
from tenant_apps.folders.services import folder_purge
from tenant_apps.groups.models import GroupInvitation, GroupJoinRequest, GroupMembership, Role
from tenant_apps.institution.access import is_institution_admin
from tenant_apps.institution.audit import admin_action_record
from tenant_apps.institution.models import AdminAction
from tenant_apps.institution.selectors import institution_profile
from tenant_apps.invitations.models import EmailInvitation
from tenant_apps.messaging.models import ThreadState
from tenant_apps.people.admin_services import institution_base_url
from tenant_apps.people.models import AccessToken, User, Visibility
from tenant_apps.people.two_factor import two_factor_forget
from tenant_apps.search.services import search_words_forget

log = structlog.get_logger(__name__)

FORMER_MEMBER = "Former member"


def _require_self_or_admin(actor: User, person: User) -> None:
    if actor.pk != person.pk and not is_institution_admin(actor):
        raise PermissionDenied(_("Only the person and the institution's admins may do this."))


@transaction.atomic
def erasure_request(*, actor: User, person: User) -> ErasureRequest:
    """Schedule ``person``'s erasure after the institution's grace period.

    ValidationError when one is already scheduled or the person is already erased; an
    admin cannot erase the institution's last active admin (themself included).
    """
    _require_self_or_admin(actor, person)
    User.objects.select_for_update().filter(pk=person.pk).first()
    if person.username == person.public_id and not person.is_active:
        raise ValidationError({"__all__": [_("This account is already erased.")]})
    if erasure_scheduled_for(person) is not None:
        raise ValidationError({"__all__": [_("The erasure of this account is already asked for.")]})
    if person.is_staff and person.is_active:
        others = User.objects.filter(is_staff=True, is_active=True).exclude(pk=person.pk)
        if not others.exists():
            raise ValidationError(
                {"__all__": [_("The institution's last admin cannot be erased.")]}
            )
    days = privacy_settings().erasure_grace_days
    request = ErasureRequest.objects.create(
        user=person, requested_by=actor, due=timezone.now() + timedelta(days=days)
    )
    if actor.pk != person.pk:
        admin_action_record(
            actor=actor, verb="person.erasure_requested", target=person.public_id, details={}
        )
    institution = institution_profile()
    mail_after_commit(
        to=person.email,
        subject=_("Your account at %(name)s will be erased") % {"name": institution.name},
        template="account/erasure_scheduled_email.txt",
        context={
            "institution": institution,
            "due": request.due,
            "base_url": institution_base_url(),
        },
    )
    log.info("erasure requested", person=person.public_id, due=request.due.isoformat())
    return request


@transaction.atomic
def erasure_cancel(*, actor: User, person: User) -> ErasureRequest:
    """Cancel ``person``'s scheduled erasure (the person or an admin). Http404-like
    ValidationError when none is scheduled."""
    _require_self_or_admin(actor, person)
    request = (
        ErasureRequest.objects.select_for_update()
        .filter(user=person, status=ErasureStatus.SCHEDULED)
        .first()
    )
    if request is None:
        raise ValidationError({"__all__": [_("No erasure of this account is scheduled.")]})
    request.status = ErasureStatus.CANCELLED
    request.cancelled = timezone.now()
    request.save(update_fields=["status", "cancelled"])
    if actor.pk != person.pk:
        admin_action_record(
            actor=actor, verb="person.erasure_cancelled", target=person.public_id, details={}
        )
    log.info("erasure cancelled", person=person.public_id)
    return request


def _hand_over_or_delete(person: User) -> tuple[int, int]:
    """Content only ``person`` manages: deleted, or handed to the named owner."""
    settings_row = privacy_settings()
    owner = settings_row.content_owner
    hand_over = (
        settings_row.content_policy == ContentPolicy.HANDOVER
        and owner is not None
        and owner.is_active
        and owner.pk != person.pk
    )
    managed = ContentItem.objects.filter(
        shares__user=person, shares__role=ShareRole.MANAGER
    ).annotate(
        managers=Count(
            "shares", filter=Q(shares__role=ShareRole.MANAGER, shares__user__isnull=False)
        )
    )
    deleted = handed = 0
    for item in managed.filter(managers=1):
        if hand_over:
            Share.objects.update_or_create(
                item=item, user=owner, defaults={"role": ShareRole.MANAGER}
            )
            ContentItem.objects.filter(pk=item.pk, created_by=person).update(created_by=owner)
            handed += 1
        else:
            content_purge(item=item)
            deleted += 1
    # Items they created but others manage stay with those managers; so do the rest.
    Share.objects.filter(user=person).delete()
    return deleted, handed


def _folders_left(person: User) -> int:
    """Folders only ``person`` manages go to the named owner under the hand-over policy, else
    are purged (their items stay with their own managers); every membership of theirs goes."""
    settings_row = privacy_settings()
    owner = settings_row.content_owner
    hand_over = (
        settings_row.content_policy == ContentPolicy.HANDOVER
        and owner is not None
        and owner.is_active
        and owner.pk != person.pk
    )
    sole = Folder.objects.filter(shares__user=person, shares__role=FolderRole.MANAGER).annotate(
        managers=Count(
            "shares", filter=Q(shares__role=FolderRole.MANAGER, shares__user__isnull=False)
        )
    )
    purged = 0
    for folder in sole.filter(managers=1):
        if hand_over:
            FolderShare.objects.update_or_create(
                folder=folder, user=owner, defaults={"role": FolderRole.MANAGER}
            )
        else:
            Folder.objects.filter(pk=folder.pk).update(deleted_at=timezone.now())
            folder.refresh_from_db()
            folder_purge(folder=folder)
            purged += 1
    FolderShare.objects.filter(user=person).delete()
    return purged


def _groups_left(person: User) -> None:
    """Leave every group; a group whose last manager they were gets the named owner (or,
    without one, the institution's admins manage it as they manage any group)."""
    owner = privacy_settings().content_owner
    for membership in GroupMembership.objects.filter(user=person, role=Role.MANAGER):
        others = GroupMembership.objects.filter(group_id=membership.group_id, role=Role.MANAGER)
        if owner is not None and owner.is_active and not others.exclude(user=person).exists():
            GroupMembership.objects.update_or_create(
                group_id=membership.group_id, user=owner, defaults={"role": Role.MANAGER}
            )
    GroupMembership.objects.filter(user=person).delete()
    GroupJoinRequest.objects.filter(user=person).delete()
    GroupInvitation.objects.filter(user=person).delete()


def _scrub(value, needles: list[str], replacement: str):
    if isinstance(value, str):
        lowered = value.lower()
        return replacement if any(n in lowered for n in needles) else value
    if isinstance(value, list):
        return [_scrub(v, needles, replacement) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, needles, replacement) for k, v in value.items()}
    return value


def _audit_anonymised(person: User, needles: list[str]) -> None:
    """The audit trail keeps the opaque id, never the person's name or addresses."""
    AdminAction.objects.filter(actor=person).update(actor_label=person.public_id)
    text_match = Q()
    for needle in needles:
        text_match |= Q(actor_label__icontains=needle)
    for action in AdminAction.objects.filter(
        Q(actor=person) | Q(target=person.public_id) | text_match
    ):
        action.details = _scrub(action.details, needles, person.public_id)
        action.actor_label = _scrub(action.actor_label, needles, person.public_id)
        action.save(update_fields=["details", "actor_label"])


@transaction.atomic
def erasure_carry_out(*, request: ErasureRequest) -> User:
    """Erase the person of a scheduled, due request (see the module's docstring)."""
    request = ErasureRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != ErasureStatus.SCHEDULED:
        raise ValidationError({"__all__": [_("This erasure is not scheduled.")]})
    person = User.objects.select_for_update().get(pk=request.user_id)
    needles = [
        value.lower()
        for value in (person.username, person.email, person.display_name)
        if value and len(value) >= 3
    ]
    former_name = " ".join(
        value for value in (person.display_name, person.first_name, person.last_name) if value
    )
    deleted, handed = _hand_over_or_delete(person)
    _groups_left(person)
    _folders_left(person)
    avatar_remove(actor=person, person=person)
    Connection.objects.filter(Q(inviter=person) | Q(invitee=person)).delete()
    Block.objects.filter(Q(blocker=person) | Q(blocked=person)).delete()
    Follow.objects.filter(Q(follower=person) | Q(followed=person)).delete()
    FollowSettings.objects.filter(user=person).delete()
    two_factor_forget(person=person)
    ThreadState.objects.filter(user=person).delete()
    # Topics and replies they wrote stay (as by "Former member"); their place in them goes.
    DiscussionMember.objects.filter(user=person).delete()
    Follower.objects.filter(user=person).delete()
    Mention.objects.filter(user=person).delete()
    FeedEntry.objects.filter(user=person).delete()
    Notification.objects.filter(recipient=person).delete()
    EmailDelivery.objects.filter(recipient=person).delete()
    EmailPreference.objects.filter(user=person).delete()
    ExternalIdentity.objects.filter(user=person).delete()
    # Invitations to their address (open or accepted), and the open ones they sent.
    invited = Q(accepted_by=person)
    if person.email:
        invited |= Q(email__iexact=person.email)
    EmailInvitation.objects.filter(invited).delete()
    EmailInvitation.objects.filter(inviter=person, accepted_at__isnull=True).delete()
    AccessToken.objects.filter(user=person).delete()
    sessions_end_all(person=person)
    SessionRecord.objects.filter(user=person).delete()
    exports_delete_for(person=person)
    _audit_anonymised(person, needles)
    person.groups.clear()
    person.user_permissions.clear()
    person.username = person.public_id
    person.email = ""
    person.first_name = ""
    person.last_name = ""
    person.display_name = FORMER_MEMBER
    person.display_name_visibility = Visibility.PUBLIC
    person.department = ""
    person.role = ""
    person.biography = ""
    person.picture_sha256 = ""
    person.listed_in_directory = False
    person.is_active = False
    person.is_staff = False
    person.is_superuser = False
    person.set_unusable_password()
    person.save()
    # The search vocabulary's words of their name go too (its triggers only add).
    search_words_forget(text=former_name)
    request.status = ErasureStatus.DONE
    request.done = timezone.now()
    request.save(update_fields=["status", "done"])
    admin_action_record(
        actor=None,
        verb="person.erased",
        target=person.public_id,
        details={"content_deleted": deleted, "content_handed_over": handed},
    )
    log.info("person erased", person=person.public_id, deleted=deleted, handed=handed)
    return person


def erasures_due(*, now=None) -> int:
    """Carry out every scheduled erasure whose grace period is over; returns how many."""
    now = now or timezone.now()
    done = 0
    for request in ErasureRequest.objects.filter(status=ErasureStatus.SCHEDULED, due__lte=now)[
        :200
    ]:
        try:
            erasure_carry_out(request=request)
        except Exception:  # one person's trouble never stops the others
            log.exception("erasure failed", erasure=request.public_id)
            continue
        done += 1
    return done
