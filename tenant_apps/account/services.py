"""Writes about one's own account: password, e-mail address, sessions, terms of use, the
institution's privacy settings. (Exports: ``exports.py``; erasure: ``erasure.py``.)"""

from __future__ import annotations

import hashlib
from importlib import import_module

import structlog
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from tenant_apps.account.mail import mail_after_commit
from tenant_apps.account.models import (
    ContentPolicy,
    PrivacySettings,
    SessionRecord,
    TermsAcceptance,
    TermsVersion,
)
from tenant_apps.account.selectors import SESSION_TERMS_KEY, terms_current, terms_number_changed
from tenant_apps.institution.access import require_admin
from tenant_apps.institution.audit import admin_action_record
from tenant_apps.institution.selectors import institution_profile
from tenant_apps.people.admin_services import institution_base_url
from tenant_apps.people.models import User

log = structlog.get_logger(__name__)

EMAIL_CHANGE_SALT = "account.email-change"


# --- sessions --------------------------------------------------------------------------
def session_record(*, request: HttpRequest | None, user: User) -> SessionRecord | None:
    """Record the session ``request`` just signed ``user`` in with (institutions only)."""
    if connection.schema_name == "public" or request is None:
        return None
    session = getattr(request, "session", None)
    if session is None:
        return None
    if session.session_key is None:
        session.save()
    agent = (request.META.get("HTTP_USER_AGENT") or "")[:200]
    record, _created = SessionRecord.objects.update_or_create(
        session_key=session.session_key, defaults={"user": user, "user_agent": agent}
    )
    return record


def session_rekeyed(*, old_key: str | None, new_key: str | None) -> None:
    """The session kept its record when its key changed (Django cycles it on a password change)."""
    if old_key and new_key and old_key != new_key:
        SessionRecord.objects.filter(session_key=old_key).update(session_key=new_key)


@transaction.atomic
def session_end(*, actor: User, record: SessionRecord) -> None:
    """Sign one of ``actor``'s own sessions out (PermissionDenied for anyone else's)."""
    if record.user_id != actor.pk:
        raise PermissionDenied(_("You may end only your own sessions."))
    _session_delete(record.session_key)
    record.delete()
    log.info("session ended", person=actor.public_id)


def sessions_end_all(*, person: User, keep_session_key: str | None = None) -> int:
    """End every session of ``person`` except ``keep_session_key``; returns how many."""
    records = SessionRecord.objects.filter(user=person)
    if keep_session_key:
        records = records.exclude(session_key=keep_session_key)
    keys = list(records.values_list("session_key", flat=True))
    for key in keys:
        _session_delete(key)
    records.delete()
    return len(keys)


def _session_delete(session_key: str) -> None:
    # Through the session engine: its row and any cached copy (config.sessions) go.
    import_module(settings.SESSION_ENGINE).SessionStore().delete(session_key)


# --- password --------------------------------------------------------------------------
@transaction.atomic
def password_change(
    *, actor: User, current_password: str, new_password: str, keep_session_key: str | None
) -> User:
    """Change ``actor``'s password: the current one is required; other sessions end.

    ValidationError by field: ``current_password`` wrong (or the account has none:
    single sign-on), ``new_password`` refused by the password validators. Every other
    session is signed out (the session ``keep_session_key``, the one asking, stays).
    """
    person = User.objects.select_for_update().get(pk=actor.pk)
    if not person.has_usable_password() or not person.check_password(current_password or ""):
        raise ValidationError({"current_password": [_("Your current password is not correct.")]})
    if not new_password:
        raise ValidationError({"new_password": [_("Choose a new password.")]})
    try:
        validate_password(new_password, user=person)
    except ValidationError as error:
        raise ValidationError({"new_password": error.messages}) from None
    person.set_password(new_password)
    person.save(update_fields=["password"])
    ended = sessions_end_all(person=person, keep_session_key=keep_session_key)
    mail_after_commit(
        to=person.email,
        subject=_("Your password for %(name)s was changed") % {"name": institution_profile().name},
        template="account/password_changed_email.txt",
        context={"institution": institution_profile(), "base_url": institution_base_url()},
    )
    log.info("password changed", person=person.public_id, sessions_ended=ended)
    return person


# --- e-mail address --------------------------------------------------------------------
def _fingerprint(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def email_change_request(*, actor: User, new_email: str, current_password: str = "") -> str:
    """Mail a confirmation link to ``new_email``; the address changes when it is followed.

    ValidationError by field: ``email`` not an address or the current one,
    ``current_password`` wrong (asked of accounts that have a password). Returns the
    link's token (for tests and the API's own confirm call; it is only ever mailed).
    The link works once: it names the address it replaces, so after the change (or
    another change) it no longer matches, and it expires after EMAIL_CHANGE_MAX_AGE.
    """
    email = (new_email or "").strip()
    try:
        if not email or len(email) > 254:
            raise ValidationError(_("Enter an e-mail address."))
        validate_email(email)
    except ValidationError as error:
        raise ValidationError({"email": error.messages}) from None
    if email.lower() == (actor.email or "").lower():
        raise ValidationError({"email": [_("This is already your e-mail address.")]})
    if actor.has_usable_password() and not actor.check_password(current_password or ""):
        raise ValidationError({"current_password": [_("Your current password is not correct.")]})
    token = signing.dumps(
        {"u": actor.public_id, "e": email, "o": _fingerprint(actor.email or "")},
        salt=EMAIL_CHANGE_SALT,
        compress=True,
    )
    institution = institution_profile()
    with transaction.atomic():
        mail_after_commit(
            to=email,
            subject=_("Confirm your new e-mail address for %(name)s") % {"name": institution.name},
            template="account/email_confirm_email.txt",
            context={
                "institution": institution,
                "link": f"{institution_base_url()}/account/email/confirm/{token}",
                "hours": settings.EMAIL_CHANGE_MAX_AGE // 3600,
            },
        )
    log.info("e-mail change requested", person=actor.public_id)
    return token


@transaction.atomic
def email_change_confirm(*, actor: User, token: str) -> User:
    """Apply a confirmed change for ``actor`` (the link's own person only); tell the old address.

    ValidationError under ``token`` for a link that is forged, expired, already used or
    someone else's (all alike).
    """
    refused = ValidationError({"token": [_("This link is not valid (any more).")]})
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=settings.EMAIL_CHANGE_MAX_AGE)
    except signing.BadSignature:
        raise refused from None
    person = User.objects.select_for_update().filter(pk=actor.pk).first()
    if (
        person is None
        or not isinstance(data, dict)
        or data.get("u") != person.public_id
        or data.get("o") != _fingerprint(person.email or "")
    ):
        raise refused
    old = person.email
    person.email = data["e"]
    person.save(update_fields=["email"])
    institution = institution_profile()
    mail_after_commit(
        to=old,
        subject=_("Your e-mail address for %(name)s was changed") % {"name": institution.name},
        template="account/email_changed_email.txt",
        context={"institution": institution, "base_url": institution_base_url()},
    )
    log.info("e-mail changed", person=person.public_id)
    return person


# --- terms of use ----------------------------------------------------------------------
def terms_cache_clear() -> None:
    """Forget the current terms' number in every process (after commit)."""
    terms_number_changed()


@transaction.atomic
def terms_publish(*, actor: User, text: str) -> TermsVersion:
    """Publish a new version (admins only): everyone is asked to accept it at their next request."""
    require_admin(actor)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write the terms of use.")]})
    if len(text) > 100_000:
        raise ValidationError({"text": [_("The terms have at most 100,000 characters.")]})
    latest = TermsVersion.objects.select_for_update().order_by("-number").first()
    version = TermsVersion.objects.create(
        number=(latest.number + 1) if latest else 1, text=text, published_by=actor
    )
    admin_action_record(
        actor=actor, verb="terms.published", target="terms", details={"version": version.number}
    )
    terms_cache_clear()
    return version


@transaction.atomic
def terms_accept(*, actor: User, number: int, session=None) -> TermsAcceptance:
    """Record that ``actor`` accepted version ``number`` (the current one only)."""
    current = terms_current()
    if current is None or current.number != number:
        raise ValidationError({"version": [_("Accept the current version of the terms of use.")]})
    acceptance, _created = TermsAcceptance.objects.get_or_create(user=actor, version=current)
    if session is not None:
        session[SESSION_TERMS_KEY] = current.number
    return acceptance


# --- the institution's privacy settings ------------------------------------------------
@transaction.atomic
def privacy_settings_update(
    *,
    actor: User,
    erasure_grace_days: int | None = None,
    content_policy: str | None = None,
    content_owner: User | str | None = "",
) -> PrivacySettings:
    """Change the erasure policy (admins only). ``content_owner`` "" leaves it as it is."""
    require_admin(actor)
    row, _created = PrivacySettings.objects.select_for_update().get_or_create(
        pk=PrivacySettings.SINGLETON_PK
    )
    changed = []
    if erasure_grace_days is not None:
        if not 0 <= erasure_grace_days <= 365:
            raise ValidationError({"erasure_grace_days": [_("Between 0 and 365 days.")]})
        row.erasure_grace_days = erasure_grace_days
        changed.append("erasure_grace_days")
    if content_policy is not None:
        if content_policy not in ContentPolicy.values:
            raise ValidationError({"content_policy": [_("Choose delete or handover.")]})
        row.content_policy = content_policy
        changed.append("content_policy")
    if content_owner != "":
        if content_owner is not None and not content_owner.is_active:
            raise ValidationError({"content_owner": [_("Choose an active person.")]})
        row.content_owner = content_owner
        changed.append("content_owner")
    if row.content_policy == ContentPolicy.HANDOVER and row.content_owner is None:
        raise ValidationError(
            {"content_owner": [_("Name who receives the content of erased people.")]}
        )
    row.save()
    admin_action_record(
        actor=actor, verb="privacy.settings_changed", target="privacy", details={"fields": changed}
    )
    return row
