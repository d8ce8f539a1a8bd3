"""Institution self-service sign-up: request (e-mail a one-time link), then confirm (provision).

``signup_request`` records an application and, after commit, e-mails its
confirmation link; ``signup_confirm`` (the link's POST) provisions the institution
through ``tenant_create``, creates its first admin in the institution's schema and
records the application as confirmed, all in one transaction. The admin then sets
a password on the institution's own host (``signup_welcome_url``).
"""

from __future__ import annotations

import ipaddress
import secrets
import smtplib
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial

import structlog
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import DatabaseError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from config.text import one_line
from shared_apps.audit.services import Actor, audit_record
from shared_apps.signup.models import SignupApplication
from shared_apps.signup.selectors import signup_application_for_token, signup_token_hash
from tenant_apps.people.models import User
from tenant_apps.people.services import user_create
from tenants.models import Tenant
from tenants.provisioning import TemplateStale, template_current
from tenants.services import _clean_name, tenant_create, validate_slug

log = structlog.get_logger(__name__)

# How long a confirmation link works.
SIGNUP_LINK_LIFETIME = timedelta(hours=48)
# Sign-ups (applications recorded, i.e. e-mails sent) per client IP per window.
SIGNUP_LIMIT = 5
SIGNUP_LIMIT_WINDOW_SECONDS = 3600


class SignupProblem(Exception):
    """Why a sign-up step cannot go ahead; ``application`` when one is known."""

    def __init__(self, message: str = "", *, application: SignupApplication | None = None):
        super().__init__(message)
        self.application = application


class SignupLinkInvalid(SignupProblem):
    """No application has this confirmation link."""


class SignupLinkExpired(SignupProblem):
    """The link's application was never confirmed and its time is up."""


class SignupLinkUsed(SignupProblem):
    """The application was confirmed already (its institution exists)."""


class SignupSlugTaken(SignupProblem):
    """The subdomain can no longer be had (taken since the application, or now reserved)."""

    def __init__(self, messages: list[str], *, application: SignupApplication):
        super().__init__(" ".join(messages), application=application)
        self.messages = messages


class SignupUnavailable(SignupProblem):
    """Provisioning is not possible right now (an operator must act); the link stays valid."""


class SignupThrottled(SignupProblem):
    """Too many sign-ups from one client address; ``retry_after`` in seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"Too many sign-ups; retry in {retry_after} s.")
        self.retry_after = retry_after


# --- addresses ---------------------------------------------------------------------------
def platform_url(path: str = "/") -> str:
    """An absolute URL on the platform host, as links in e-mails need them."""
    return (
        f"{settings.PLATFORM_URL_SCHEME}://{settings.PLATFORM_DOMAIN}"
        f"{settings.PLATFORM_URL_PORT}{path}"
    )


def institution_url(slug: str, path: str = "/") -> str:
    """An absolute URL on an institution's own subdomain."""
    return (
        f"{settings.PLATFORM_URL_SCHEME}://{slug}.{settings.PLATFORM_DOMAIN}"
        f"{settings.PLATFORM_URL_PORT}{path}"
    )


def signup_confirm_url(token: str) -> str:
    return platform_url(f"/signup/confirm/{token}")


def signup_welcome_url(*, tenant: Tenant, admin: User) -> str:
    """The admin's set-password link on the institution's host.

    Stateless (Django's password-reset token): it stops working once a password
    is set or the admin signs in, and after PASSWORD_RESET_TIMEOUT. The user is
    named by their public id, never the database key.
    """
    uidb64 = urlsafe_base64_encode(force_bytes(admin.public_id))
    token = default_token_generator.make_token(admin)
    return institution_url(tenant.slug, f"/welcome/{uidb64}/{token}/")


# --- input -------------------------------------------------------------------------------
def signup_clean_slug(value: str) -> str:
    """The subdomain as it will be used (trimmed, lower case), or ValidationError."""
    slug = value.strip().lower()
    validate_slug(slug)
    return slug


def signup_clean_person_name(value: str) -> str:
    return one_line(
        value,
        empty=_("Tell us your name."),
        too_long=_("Your name is longer than 200 characters."),
    )


def signup_clean_email(value: str) -> str:
    email = value.strip()
    validate_email(email)
    return email


def _cleaned(*, name: str, slug: str, admin_name: str, admin_email: str) -> dict[str, str]:
    cleaners = {
        "name": (_clean_name, name),
        "slug": (signup_clean_slug, slug),
        "admin_name": (signup_clean_person_name, admin_name),
        "admin_email": (signup_clean_email, admin_email),
    }
    cleaned: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for field, (clean, value) in cleaners.items():
        try:
            cleaned[field] = clean(value)
        except ValidationError as error:
            errors[field] = error.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def _ip_or_none(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(value or ""))
    except ValueError:
        return None


# --- throttling --------------------------------------------------------------------------
def _throttle_key(ip: str | None) -> str:
    # The cache's key function adds the schema (public here) and the global prefix.
    return f"signup:requests:{ip or 'unknown'}"


def _retry_after(key: str) -> int:
    ttl = getattr(cache, "ttl", None)  # django-redis knows a key's remaining life
    remaining = ttl(key) if ttl is not None else None
    if not isinstance(remaining, int) or remaining <= 0:
        return SIGNUP_LIMIT_WINDOW_SECONDS
    return remaining


def signup_throttle_check(*, ip: str | None) -> None:
    """Raise SignupThrottled when ``ip`` has used up its sign-ups for the current window."""
    key = _throttle_key(_ip_or_none(ip))
    if (cache.get(key) or 0) >= SIGNUP_LIMIT:
        raise SignupThrottled(_retry_after(key))


def _throttle_count(ip: str | None) -> None:
    # A fixed window from the address's first sign-up; INCR is atomic, so
    # concurrent requests cannot slip past the limit together.
    key = _throttle_key(ip)
    cache.add(key, 0, timeout=SIGNUP_LIMIT_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: a new window
        cache.set(key, 1, timeout=SIGNUP_LIMIT_WINDOW_SECONDS)
        count = 1
    if count > SIGNUP_LIMIT:
        raise SignupThrottled(_retry_after(key))


# --- request -----------------------------------------------------------------------------
@transaction.atomic
def signup_request(
    *,
    name: str,
    slug: str,
    admin_name: str,
    admin_email: str,
    ip: str | None = None,
    now: datetime | None = None,
) -> tuple[SignupApplication, str]:
    """Record a sign-up and, once committed, e-mail its one-time confirmation link.

    Nothing is provisioned and the subdomain is not held: the first confirmed
    application for a subdomain gets it. Raises ValidationError (a dict keyed by
    field) for bad input and SignupThrottled when ``ip`` is over its limit. Returns
    the application and the link's secret, which is stored nowhere (only its hash).
    """
    cleaned = _cleaned(name=name, slug=slug, admin_name=admin_name, admin_email=admin_email)
    ip = _ip_or_none(ip)
    _throttle_count(ip)
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)
    application = SignupApplication.objects.create(
        **cleaned,
        token_hash=signup_token_hash(token),
        created=now,
        expires=now + SIGNUP_LINK_LIFETIME,
        requester_ip=ip,
    )
    transaction.on_commit(
        partial(
            _confirmation_mail_send,
            application_id=application.public_id,
            to=application.admin_email,
            context={
                "name": application.name,
                "admin_name": application.admin_name,
                "address": f"{application.slug}.{settings.PLATFORM_DOMAIN}",
                "link": signup_confirm_url(token),
                "expires": application.expires,
                "platform_url": platform_url(),
            },
        )
    )
    log.info("signup requested", application=application.public_id, slug=application.slug)
    return application, token


def _confirmation_mail_send(*, application_id: str, to: str, context: dict) -> None:
    # After commit, so a rolled-back application never mails a dead link. A mail
    # server that is down must not turn the request into an error page (the
    # application is stored; the person can ask again): the failure is logged.
    try:
        send_mail(
            subject="Confirm your institution's sign-up",
            message=render_to_string("signup/confirmation_email.txt", context),
            from_email=None,  # DEFAULT_FROM_EMAIL
            recipient_list=[to],
        )
    except (smtplib.SMTPException, OSError):
        log.exception("signup mail not sent", application=application_id)
    else:
        log.info("signup mail sent", application=application_id)


# --- confirm -----------------------------------------------------------------------------
def _check_usable(application: SignupApplication | None, now: datetime) -> SignupApplication:
    if application is None:
        raise SignupLinkInvalid(_("This confirmation link is not valid."))
    if application.is_confirmed:
        raise SignupLinkUsed(_("This link was used already."), application=application)
    if application.expires <= now:
        raise SignupLinkExpired(_("This link has expired."), application=application)
    return application


def signup_application_usable(token: str) -> SignupApplication:
    """The application a link confirms, or SignupLinkInvalid/Expired/Used/SlugTaken."""
    application = _check_usable(signup_application_for_token(token), timezone.now())
    try:
        validate_slug(application.slug)
    except ValidationError as error:
        raise SignupSlugTaken(error.messages, application=application) from error
    return application


def signup_admin_username(email: str) -> str:
    """A username from the e-mail's local part, in the characters Django accepts."""
    local = email.rsplit("@", 1)[0]
    username = "".join(c for c in local if c.isalnum() or c in "._+-")[:150]
    return username or "admin"


def signup_confirm(*, token: str, ip: str | None = None) -> tuple[SignupApplication, User]:
    """Provision the institution a confirmation link asks for; returns it and its admin.

    One transaction: the institution (``tenant_create``), its first admin (in its
    schema, without a password: they set one at ``signup_welcome_url``) and the
    application's confirmation are made together or not at all, and audited.
    Raises SignupLinkInvalid, SignupLinkExpired, SignupLinkUsed (also to the second of
    two simultaneous confirmations), SignupSlugTaken (the subdomain went to someone
    else meanwhile) and SignupUnavailable (the institution template needs an operator).
    """
    application = signup_application_usable(token)
    actor = replace(Actor.system("signup"), ip=_ip_or_none(ip))
    try:
        template_current()  # building it commits, so never inside our transaction
    except TemplateStale as error:
        log.error("signup cannot provision", error=str(error))
        raise SignupUnavailable(str(error), application=application) from error
    with transaction.atomic():
        application = SignupApplication.objects.select_for_update().get(pk=application.pk)
        now = timezone.now()
        _check_usable(application, now)
        tenant = _tenant_create_for(application, actor)
        with tenant_context(tenant):
            admin = user_create(
                username=signup_admin_username(application.admin_email),
                email=application.admin_email,
                display_name=application.admin_name,
                is_admin=True,
            )
        application.confirmed_at = now
        application.tenant = tenant
        application.save(update_fields=["confirmed_at", "tenant"])
        audit_record(
            actor=actor,
            verb="signup.confirmed",
            target=tenant.slug,
            details={"application": application.public_id, "admin": admin.public_id},
        )
    log.info("signup confirmed", application=application.public_id, slug=tenant.slug)
    return application, admin


def _tenant_create_for(application: SignupApplication, actor: Actor) -> Tenant:
    try:
        return tenant_create(slug=application.slug, name=application.name, actor=actor)
    except ValidationError as error:
        raise SignupSlugTaken(error.messages, application=application) from error
    except TemplateStale as error:
        raise SignupUnavailable(str(error), application=application) from error
    except DatabaseError:
        # Another confirmation created the same subdomain while we were creating it:
        # its schema or row won the unique index. (tenant_create's own savepoint has
        # rolled back, so our transaction can still ask.)
        if Tenant.objects.filter(slug=application.slug).exists():
            raise SignupSlugTaken(
                [f"'{application.slug}' is already taken."], application=application
            ) from None
        raise
