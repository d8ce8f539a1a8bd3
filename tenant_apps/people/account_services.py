"""People's own account actions on their institution's host: password reset, self-registration.

Both e-mail the set-password link of the sign-up's ``/welcome/`` landing (Django's
password-reset token: it works once, and until PASSWORD_RESET_TIMEOUT). Accounts
exist only in their institution's schema, so an address known to another
institution matches nobody here. Neither action tells the visitor whether an
e-mail address has an account: the answer is the same either way, and the owner
of the address learns the rest by e-mail.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from functools import partial

import structlog
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import get_language, gettext, gettext_noop
from django.utils.translation import gettext as _

from config.locale import language_for
from tenant_apps.institution.selectors import institution_profile
from tenant_apps.people.admin_services import (
    _clean_display_name,
    _clean_username,
    institution_base_url,
    invitation_url,
)
from tenant_apps.people.models import User
from tenant_apps.people.services import user_create

log = structlog.get_logger(__name__)

WINDOW_SECONDS = 60 * 60
MAX_RESETS_PER_EMAIL = 3
MAX_RESETS_PER_ADDRESS = 20
MAX_REGISTRATIONS_PER_ADDRESS = 10


@dataclass
class TooManyRequests(Exception):
    message: str = "Too many requests from your network. Wait a while and try again."
    retry_after: int = WINDOW_SECONDS


class RegistrationClosed(Exception):
    """The institution does not take self-registrations now (off, or not writable)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _take(key: str, limit: int) -> bool:
    """Count one more request under ``key``; False once the limit for the window is reached."""
    if (cache.get(key) or 0) >= limit:
        return False
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS)
    return True


def _clean_email(value: str) -> str:
    email = (value or "").strip()
    if not email:
        raise ValidationError(_("Enter an e-mail address."), code="required")
    if len(email) > 254:
        raise ValidationError(_("An e-mail address has at most 254 characters."))
    validate_email(email)
    return email


def _institution():
    return institution_profile()


def _mail_after_commit(*, template: str, subject: str, person: User, context: dict) -> None:
    transaction.on_commit(
        partial(
            _mail_send,
            template=template,
            subject=subject,
            person_id=person.public_id,
            to=person.email,
            context=context,
            # The recipient's language: theirs, the institution's, else the page's they
            # asked from (it is they who asked).
            language=language_for(person, connection.tenant, fallback=get_language()),
        )
    )


def _mail_send(
    *,
    template: str,
    subject: str,
    person_id: str | None,
    to: str,
    context: dict,
    language: str | None = None,
) -> None:
    # A mail server that is down is logged, never shown: the visitor's answer is the same.
    # ``subject`` is a message id, formatted with the institution's name in ``language``.
    try:
        with translation.override(language or get_language()):
            subject_text = gettext(subject) % {"institution": context["institution"].name}
            body = render_to_string(template, context)
        send_mail(
            subject=subject_text,
            message=body,
            from_email=None,
            recipient_list=[to],
        )
    except (smtplib.SMTPException, OSError):
        log.exception("account mail not sent", person=person_id, template=template)
    else:
        log.info("account mail sent", person=person_id, template=template)


def _reset_mail(
    person: User, base_url: str | None, institution, *, registering: bool = False
) -> None:
    context = {
        "person": person,
        "link": invitation_url(person=person, base_url=base_url or institution_base_url()),
        "institution": institution,
        "registering": registering,
    }
    _mail_after_commit(
        template="people/account/password_reset_email.txt",
        subject=gettext_noop("Your password for %(institution)s"),
        person=person,
        context=context,
    )


# --- password reset ------------------------------------------------------------------
@transaction.atomic
def password_reset_request(*, email: str, address: str | None, base_url: str | None = None) -> int:
    """E-mail a set-password link to this institution's active accounts with ``email``.

    ValidationError for an address that is not an e-mail address. Otherwise the
    caller answers the same whatever happened; the return value (how many mails
    were queued) is for tests and logs only. At most MAX_RESETS_PER_EMAIL requests
    per e-mail address and MAX_RESETS_PER_ADDRESS per client address an hour are
    acted on; the rest are dropped silently.
    """
    email = _clean_email(email)
    if not (
        _take(f"pwreset:ip:{address or 'unknown'}", MAX_RESETS_PER_ADDRESS)
        and _take(f"pwreset:email:{email.lower()}", MAX_RESETS_PER_EMAIL)
    ):
        log.info("password reset request dropped: rate limit")
        return 0
    people = list(User.objects.filter(email__iexact=email, is_active=True))
    institution = _institution() if people else None
    if institution is not None and not institution.local_signin:
        # Passwords are for admins only: nobody else gets a link (the answer is the same).
        people = [person for person in people if person.is_staff]
    for person in people:
        _reset_mail(person, base_url, institution)
        log.info("password reset requested", person=person.public_id)
    return len(people)


# --- self-registration ---------------------------------------------------------------
def email_domain_allowed(email: str, domains: list[str]) -> bool:
    """Whether ``email`` is at one of ``domains`` or a subdomain of one; any when none."""
    if not domains:
        return True
    domain = email.rsplit("@", 1)[-1].strip().lower().rstrip(".")
    return any(domain == allowed or domain.endswith("." + allowed) for allowed in domains)


def registration_closed_reason(institution) -> str | None:
    tenant = getattr(connection, "tenant", None)
    if not getattr(tenant, "is_writable", False):
        return _("%(name)s is read-only for now and does not take registrations.") % {
            "name": institution.name
        }
    if not institution.self_registration or not institution.local_signin:
        return _(
            "%(name)s does not let people register themselves. "
            "Ask your institution's administrators for an invitation."
        ) % {"name": institution.name}
    return None


@transaction.atomic
def self_register(
    *,
    email: str,
    display_name: str,
    username: str,
    address: str | None,
    base_url: str | None = None,
) -> User | None:
    """Register someone without a password and e-mail them the set-password link.

    RegistrationClosed when the institution does not take registrations (its admins
    switched it off, or it is suspended); ValidationError (by field) for bad input,
    an e-mail domain not allowed, or the people quota
    (QuotaExceeded, under ``__all__``); TooManyRequests after
    MAX_REGISTRATIONS_PER_ADDRESS attempts an hour from one client address.

    An e-mail address that already has an account here creates nothing: its owner
    is mailed a set-password link instead and None is returned, so the visitor's
    answer does not reveal whether the address is known. Likewise a taken username
    creates nothing and mails the address (asking for another username).
    """
    institution = _institution()
    reason = registration_closed_reason(institution)
    if reason:
        raise RegistrationClosed(reason)
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for name, clean, value in (
        ("display_name", _clean_display_name, display_name),
        ("email", _clean_email, email),
        # Whether a username is taken is not told to the visitor (below: a mail is).
        ("username", partial(_clean_username, check_taken=False), username),
    ):
        try:
            cleaned[name] = clean(value)
        except ValidationError as error:
            errors[name] = error.messages
    if "email" in cleaned and not email_domain_allowed(
        cleaned["email"], institution.registration_domains or []
    ):
        errors["email"] = [
            "Only addresses at "
            + ", ".join(institution.registration_domains)
            + " may register here."
        ]
    if errors:
        raise ValidationError(errors)
    if not _take(f"register:ip:{address or 'unknown'}", MAX_REGISTRATIONS_PER_ADDRESS):
        raise TooManyRequests
    existing = list(User.objects.filter(email__iexact=cleaned["email"], is_active=True))
    if existing or User.objects.filter(email__iexact=cleaned["email"]).exists():
        for person in existing:
            _reset_mail(person, base_url, institution, registering=True)
        log.info("registration for a known e-mail address: owner mailed")
        return None
    if User.objects.filter(username__iexact=cleaned["username"]).exists():
        # The same answer as a registration that worked; the address's owner learns why.
        transaction.on_commit(
            partial(
                _mail_send,
                template="people/account/registration_username_taken_email.txt",
                subject=gettext_noop("Registering at %(institution)s: choose another username"),
                person_id=None,
                language=get_language(),
                to=cleaned["email"],
                context={"institution": institution, "base_url": institution_base_url()},
            )
        )
        log.info("registration with a taken username: address mailed")
        return None
    try:
        person = user_create(
            username=cleaned["username"],
            email=cleaned["email"],
            display_name=cleaned["display_name"],
        )
    except ValidationError as error:  # QuotaExceeded, or a race on the username
        raise ValidationError({"__all__": error.messages}) from None
    _mail_after_commit(
        template="people/account/registration_email.txt",
        subject=gettext_noop("Welcome to %(institution)s: choose your password"),
        person=person,
        context={
            "person": person,
            "link": invitation_url(person=person, base_url=base_url or institution_base_url()),
            "institution": institution,
        },
    )
    log.info("person registered", person=person.public_id)
    return person
