"""Two-factor sign-in: TOTP (an authenticator app) with one-time recovery codes (django-otp).

After any first factor (a password, LDAP, OpenID Connect, SAML, the console's password),
``user_logged_in`` marks the session as owing a second factor when the person has one
(``verify``) or must have one and has not yet (``enrol``): platform admins always; an
institution's admins or everyone, as its policy (``InstitutionProfile.two_factor``) says.
``two_factor_middleware.TwoFactorMiddleware`` then lets such a session reach only the
second-factor pages and signing out (HTML: a redirect there; API: a 403 problem).
Sessions that owe nothing cost no query. API tokens are unaffected; issuing one needs
a fresh second factor (see ``token_second_factor_check``).
"""

from __future__ import annotations

import base64
import time

from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import get_public_schema_name

from tenant_apps.institution.access import require_admin
from tenant_apps.institution.audit import admin_action_record
from tenant_apps.institution.selectors import institution_profile

# What the session owes: "verify" (has a second factor) or "enrol" (must set one up).
SESSION_PENDING = "oae_2fa_pending"
# When the session last proved a second factor (seconds since the epoch).
SESSION_VERIFIED_AT = "oae_2fa_at"
# How recent a second factor must be to issue an API token from a session.
FRESH_SECONDS = 10 * 60
RECOVERY_CODES = 10
# Paths a session that owes a second factor may still reach.
OPEN_PREFIXES = ("/2fa/", "/signout", "/console/logout", "/static/", "/__")


def on_platform() -> bool:
    return connection.schema_name == get_public_schema_name()


def two_factor_required(user) -> bool:
    """Whether ``user`` must sign in with a second factor here (one small read)."""
    if on_platform():
        return bool(user.is_staff)  # platform admins, always
    policy = institution_profile().two_factor
    return policy == "everyone" or (policy == "admins" and user.is_staff)


def totp_device(user, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("id").first()


def is_enrolled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@receiver(user_logged_in)
def _owe_second_factor(sender, request: HttpRequest | None, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    session.pop(SESSION_VERIFIED_AT, None)
    if is_enrolled(user):
        session[SESSION_PENDING] = "verify"
    elif two_factor_required(user):
        session[SESSION_PENDING] = "enrol"
    else:
        session.pop(SESSION_PENDING, None)


def pending(request: HttpRequest) -> str | None:
    session = getattr(request, "session", None)
    return session.get(SESSION_PENDING) if session is not None else None


# --- devices ---------------------------------------------------------------------------
def secret_base32(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


@transaction.atomic
def enrolment_begin(*, user) -> TOTPDevice:
    """The person's unconfirmed authenticator (a new secret the first time)."""
    device = totp_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


@transaction.atomic
def enrolment_confirm(*, user, code: str) -> list[str] | None:
    """Confirm the authenticator with a current code; returns new recovery codes (shown once),
    or None when the code is wrong."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("id")
        .first()
    )
    if device is None or not device.verify_token(_digits(code)):
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return recovery_codes_renew(user=user)


@transaction.atomic
def recovery_codes_renew(*, user) -> list[str]:
    """Replace the person's recovery codes with new ones (each works once)."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _digits(code: str) -> str:
    return "".join((code or "").split())


def second_factor_check(*, user, code: str) -> bool:
    """A current TOTP code or an unused recovery code of ``user`` (which it uses up).

    django-otp throttles each device after failures (growing delays), so codes cannot be
    guessed by trying."""
    code = _digits(code)
    if not code:
        return False
    device = totp_device(user)
    if device is not None and code.isdigit() and device.verify_token(code):
        return True
    recovery = StaticDevice.objects.filter(user=user, confirmed=True).first()
    return bool(recovery is not None and recovery.verify_token(code.lower()))


def session_verified(request: HttpRequest) -> None:
    """The session proved its second factor now."""
    request.session.pop(SESSION_PENDING, None)
    request.session[SESSION_VERIFIED_AT] = int(time.time())
    request.session.cycle_key()


def session_fresh(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    at = session.get(SESSION_VERIFIED_AT) if session is not None else None
    return bool(at and time.time() - at < FRESH_SECONDS)


def token_second_factor_check(*, user, request: HttpRequest | None, code: str | None) -> None:
    """Issuing an API token: a person with a second factor proves it afresh (a code sent with
    the request, or this session's second factor within FRESH_SECONDS); one who must have a
    second factor and has none enrols first. PermissionDenied otherwise."""
    if is_enrolled(user):
        if code and second_factor_check(user=user, code=code):
            return
        if request is not None and session_fresh(request):
            return
        raise PermissionDenied(
            _("Issuing a token needs a fresh second factor: send a current code as otp.")
        )
    if two_factor_required(user):
        raise PermissionDenied(_("Set up two-factor sign-in on the web before issuing tokens."))


@transaction.atomic
def two_factor_forget(*, person) -> int:
    """Delete every second-factor device of ``person`` (erasure); returns how many."""
    removed = TOTPDevice.objects.filter(user=person).delete()[0]
    return removed + StaticDevice.objects.filter(user=person).delete()[0]


def two_factor_reset(*, actor, person) -> bool:
    """An admin removes a person's authenticator and recovery codes (a lost phone and no code
    left): their next sign-in enrols again if they must have a second factor. Recorded in the
    audit trail. PermissionDenied unless ``actor`` is an admin. Whether there was one."""
    require_admin(actor)
    removed = TOTPDevice.objects.filter(user=person).delete()[0]
    removed += StaticDevice.objects.filter(user=person).delete()[0]
    admin_action_record(
        actor=actor, verb="person.two_factor_reset", target=person.public_id, details={}
    )
    return removed > 0
