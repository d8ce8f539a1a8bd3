"""Writes about invitations by e-mail: invite, withdraw, accept (by the link's token, or by
signing in with the invited address).

The inviter's answer is the same whether or not the address already has an account here:
an invitation row and a mail, every time. The share or membership is given when the
invitation is accepted - by someone signed in who opens the link, or at the next sign-in
(any method) of the person whose address it is - in the name of the inviter, through the
content and groups services' own rules (an inviter who no longer manages the item or the
group gives nothing). Tokens are stored as SHA-256 only, expire, and work once.
"""

from __future__ import annotations

import hashlib
import secrets
import smtplib
from datetime import timedelta
from functools import partial

import structlog
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import connection, transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from config.locale import language_for
from tenant_apps.content.models import ContentItem, Share
from tenant_apps.content.services import content_share
from tenant_apps.folders.models import Folder, FolderShare
from tenant_apps.folders.services import folder_share
from tenant_apps.groups.models import Group, GroupMembership
from tenant_apps.groups.services import group_invite, group_join
from tenant_apps.institution.selectors import institution_profile
from tenant_apps.invitations.access import Target
from tenant_apps.invitations.models import EmailInvitation, TargetKind
from tenant_apps.people.admin_services import institution_base_url
from tenant_apps.people.models import User

log = structlog.get_logger(__name__)

WINDOW_SECONDS = 60 * 60


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _clean_email(value: str) -> str:
    email = (value or "").strip()
    if not email:
        raise ValidationError({"email": [_("Enter an e-mail address.")]})
    if len(email) > 254:
        raise ValidationError({"email": [_("An e-mail address has at most 254 characters.")]})
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": [_("Enter a valid e-mail address.")]}) from None
    return email.lower()


def _within_limit(actor: User) -> bool:
    """Count one more invitation by ``actor`` in the hour; False past the limit."""
    key = f"invitations:sent:{actor.pk}"
    limit = settings.INVITATIONS_PER_HOUR
    if (cache.get(key) or 0) >= limit:
        return False
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=WINDOW_SECONDS)
    return True


def _mail_send(*, to: str, invitation_id: str, context: dict) -> None:
    # A mail server that is down is logged, never shown: the inviter's answer is the same.
    try:
        with translation.override(context.pop("language", None)):
            subject = _("%(inviter)s invites you to %(title)s on %(institution)s") % {
                "inviter": context["inviter_name"],
                "title": context["title"],
                "institution": context["institution"].name,
            }
            body = render_to_string("invitations/invitation_email.txt", context)
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[to])
    except (smtplib.SMTPException, OSError):
        log.exception("invitation mail not sent", invitation=invitation_id)
    else:
        log.info("invitation mail sent", invitation=invitation_id)


@transaction.atomic
def invitation_create(
    *, actor: User, email: str, target: Target, role: str | None = None
) -> EmailInvitation:
    """Invite ``email`` to ``target`` (which the door let ``actor`` manage) with ``role``.

    The same result whether or not someone here has the address: a new invitation, and a
    mail after the commit. ValidationError for a bad address or role; PermissionDenied past
    INVITATIONS_PER_HOUR invitations by one person.
    """
    errors: dict[str, list[str]] = {}
    try:
        email = _clean_email(email)
    except ValidationError as error:
        errors.update(error.message_dict)
    role = role or target.roles[0]
    if role not in target.roles:
        errors["role"] = [_("Choose one of: %(roles)s.") % {"roles": ", ".join(target.roles)}]
    if errors:
        raise ValidationError(errors)
    if not _within_limit(actor):
        raise PermissionDenied(_("You have sent many invitations this hour; try again later."))
    token = secrets.token_urlsafe(32)
    invitation = EmailInvitation.objects.create(
        email=email,
        token_hash=token_hash(token),
        inviter=actor,
        kind=target.kind,
        target_id=target.public_id,
        role=role,
        expires=timezone.now() + timedelta(days=settings.INVITATION_DAYS),
    )
    institution = institution_profile()
    inviter_name = actor.display_name or _("A member of %(institution)s") % {
        "institution": institution.name
    }
    context = {
        "inviter_name": inviter_name,
        "title": target.title,
        "kind": target.kind,
        "role": role,
        "institution": institution,
        "link": f"{institution_base_url()}/invitations/{token}",
        "expires": invitation.expires,
        # The invitee's language is unknown: the institution's, else the inviter's page's.
        "language": language_for(
            None, getattr(connection, "tenant", None), fallback=translation.get_language()
        ),
    }
    transaction.on_commit(
        partial(_mail_send, to=email, invitation_id=invitation.public_id, context=context),
        robust=True,
    )
    return invitation


@transaction.atomic
def invitation_withdraw(*, actor: User, invitation: EmailInvitation) -> None:
    """The inviter withdraws an invitation not yet accepted (its link stops working)."""
    if invitation.inviter_id != actor.pk:
        raise Http404(_("No such invitation."))
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation was accepted already."))
    invitation.delete()


def _grant(invitation: EmailInvitation, user: User, *, confirmed: bool) -> str | None:
    """Give ``user`` what ``invitation`` offers, in the inviter's name; the target's page,
    or None when there is nothing left to give (target gone, inviter no longer manages)."""
    inviter = invitation.inviter
    try:
        with transaction.atomic():
            if invitation.kind == TargetKind.CONTENT:
                item = ContentItem.objects.filter(
                    public_id=invitation.target_id, deleted_at__isnull=True
                ).first()
                if item is None:
                    return None
                # Never lower a share the person holds already.
                if not Share.objects.filter(item=item, user=user).exists():
                    content_share(actor=inviter, item=item, principals=[user], role=invitation.role)
                return f"/content/{item.public_id}"
            if invitation.kind == TargetKind.FOLDER:
                folder = Folder.objects.filter(
                    public_id=invitation.target_id, deleted_at__isnull=True
                ).first()
                if folder is None:
                    return None
                if not FolderShare.objects.filter(folder=folder, user=user).exists():
                    folder_share(
                        actor=inviter, folder=folder, principals=[user], role=invitation.role
                    )
                return f"/folders/{folder.public_id}"
            if invitation.kind == TargetKind.GROUP:
                group = Group.objects.filter(
                    public_id=invitation.target_id, deleted_at__isnull=True
                ).first()
                if group is None:
                    return None
                if not GroupMembership.objects.filter(group=group, user=user).exists():
                    group_invite(actor=inviter, group=group, person=user)
                    if confirmed:  # they opened the link and said yes: they join
                        group_join(actor=user, group=group)
                return f"/groups/{group.public_id}"
    except (PermissionDenied, Http404, ValidationError):
        log.info("invitation gave nothing", invitation=invitation.public_id)
        return None
    return None


def _accept(invitation: EmailInvitation, user: User, *, confirmed: bool) -> str | None:
    locked = (
        EmailInvitation.objects.select_for_update()
        .select_related("inviter")
        .filter(pk=invitation.pk, accepted_at__isnull=True, expires__gt=timezone.now())
        .first()
    )
    if locked is None:
        return None
    locked.accepted_at = timezone.now()
    locked.accepted_by = user
    locked.save(update_fields=["accepted_at", "accepted_by"])
    return _grant(locked, user, confirmed=confirmed)


def invitation_for_token(token: str) -> EmailInvitation | None:
    """The open invitation (not accepted, not expired) a link's token names, or None."""
    if not token or len(token) > 100:
        return None
    return (
        EmailInvitation.objects.select_related("inviter")
        .filter(token_hash=token_hash(token), accepted_at__isnull=True, expires__gt=timezone.now())
        .first()
    )


@transaction.atomic
def invitation_accept(*, actor: User, token: str) -> str:
    """``actor`` (signed in) accepts the invitation of the link's token, whatever address it
    was sent to (the link is the proof). Returns the target's page. ValidationError when the
    token is unknown, used or expired (one answer for all three)."""
    invitation = invitation_for_token(token)
    url = _accept(invitation, actor, confirmed=True) if invitation is not None else None
    if url is None:
        raise ValidationError({"token": [_("This invitation is not valid any more.")]})
    return url


@transaction.atomic
def invitations_claim(*, user: User) -> int:
    """At sign-in: every open invitation to ``user``'s address becomes theirs (shares at once;
    a group as an invitation they accept by joining). Returns how many were accepted."""
    if not user.email:
        return 0
    waiting = EmailInvitation.objects.filter(
        email=user.email.strip().lower(), accepted_at__isnull=True, expires__gt=timezone.now()
    ).order_by("id")
    return sum(1 for invitation in waiting if _accept(invitation, user, confirmed=False))
