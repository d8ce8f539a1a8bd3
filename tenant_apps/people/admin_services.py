"""Writes of an institution's own admins about its people: invite, import, (de)activate, admin.

Every function takes ``actor=`` and raises PermissionDenied unless the actor is an
active admin (``is_staff``) of the institution whose schema the connection is on:
accounts exist only in their own institution's schema, so an admin of one
institution is nobody on another's host. Bad input raises ValidationError (a dict
keyed by field where there is a field to blame).
"""

from __future__ import annotations

import csv
import io
import smtplib
from dataclasses import dataclass, field
from functools import partial

import structlog
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from config.locale import language_for
from config.text import one_line
from tenant_apps.institution.access import require_admin
from tenant_apps.institution.audit import admin_action_record
from tenant_apps.institution.selectors import institution_profile
from tenant_apps.people.models import User
from tenant_apps.people.services import user_create

log = structlog.get_logger(__name__)

# An import is one request: keep it to what a request can do in a few seconds.
IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_MAX_ROWS = 5000
IMPORT_COLUMNS = ("username", "email", "display_name")
_YES = {"yes", "y", "true", "1", "admin"}
_NO = {"", "no", "n", "false", "0"}


# --- invitations ---------------------------------------------------------------------
def invitation_url(*, person: User, base_url: str) -> str:
    """The person's set-password link (the sign-up's welcome landing) under ``base_url``.

    Stateless (Django's password-reset token): it stops working once a password is
    set or the person signs in, and after PASSWORD_RESET_TIMEOUT.
    """
    uidb64 = urlsafe_base64_encode(force_bytes(person.public_id))
    token = default_token_generator.make_token(person)
    return f"{base_url.rstrip('/')}/welcome/{uidb64}/{token}/"


def institution_base_url() -> str:
    """The current institution's address for links in mail (tenants.selectors.tenant_base_url):
    built from its primary domain and the configured scheme and port, never from the Host
    header of the request that caused the mail."""
    from django.db import connection

    from tenants.models import Tenant
    from tenants.selectors import tenant_base_url

    tenant = getattr(connection, "tenant", None)
    if not isinstance(tenant, Tenant):  # a schema_context() in a task or command
        tenant = Tenant.objects.filter(schema_name=connection.schema_name).first()
    if tenant is None:
        return f"{settings.PLATFORM_URL_SCHEME}://{settings.PLATFORM_DOMAIN}"
    return tenant_base_url(tenant)


def _clean_email(value: str) -> str:
    email = (value or "").strip()
    if not email:
        raise ValidationError(_("Enter an e-mail address."), code="required")
    validate_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(_("Someone with this e-mail address is already a member."))
    return email


def _clean_display_name(value: str) -> str:
    return one_line(
        value,
        empty=_("Enter a display name."),
        too_long=_("A display name has at most 200 characters."),
    )


def _clean_username(value: str, *, check_taken: bool = True) -> str:
    username = (value or "").strip()
    if not username:
        raise ValidationError(_("Enter a username."), code="required")
    User.username_validator(username)
    if len(username) > 150:
        raise ValidationError(_("A username has at most 150 characters."))
    if check_taken and User.objects.filter(username__iexact=username).exists():
        raise ValidationError(_("This username is taken."))
    return username


def _username_from_email(email: str) -> str:
    local = email.rsplit("@", 1)[0]
    base = "".join(c for c in local if c.isalnum() or c in "._+-")[:140] or "person"
    candidate, number = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        number += 1
        candidate = f"{base}{number}"
    return candidate


def _cleaned(**cleaners) -> dict:
    cleaned, errors = {}, {}
    for name, (clean, value) in cleaners.items():
        try:
            cleaned[name] = clean(value)
        except ValidationError as error:
            errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def person_invite(
    *,
    actor: User,
    email: str,
    display_name: str,
    username: str | None = None,
    is_admin: bool = False,
    base_url: str | None = None,
) -> User:
    """Add a person without a password and, once committed, e-mail them a set-password link.

    ``username`` defaults to one made from the e-mail's local part. ``base_url`` is
    the institution's address the link starts with (the request's host; by default
    its subdomain). The people quota applies (QuotaExceeded, a ValidationError).
    """
    require_admin(actor)
    cleaners = {
        "email": (_clean_email, email),
        "display_name": (_clean_display_name, display_name),
    }
    if username:
        cleaners["username"] = (_clean_username, username)
    cleaned = _cleaned(**cleaners)
    person = user_create(
        username=cleaned.get("username") or _username_from_email(cleaned["email"]),
        email=cleaned["email"],
        display_name=cleaned["display_name"],
        is_admin=is_admin,
    )
    link = invitation_url(person=person, base_url=base_url or institution_base_url())
    context = {"person": person, "inviter": actor, "link": link, "institution": _institution()}
    # The invitee chose no language yet: the institution's default, else the site's.
    language = language_for(person, connection.tenant)
    transaction.on_commit(
        partial(
            _invitation_mail_send,
            person_id=person.public_id,
            to=person.email,
            context=context,
            language=language,
        )
    )
    admin_action_record(
        actor=actor, verb="person.invited", target=person.public_id, details={"admin": is_admin}
    )
    log.info("person invited", person=person.public_id, by=actor.public_id)
    return person


def _institution():
    return institution_profile()


def _invitation_mail_send(*, person_id: str, to: str, context: dict, language: str) -> None:
    # After commit, so a rolled-back invitation never mails a dead link; a mail server
    # that is down must not undo the invitation: it is logged, the admin can re-invite.
    try:
        with translation.override(language):
            subject = _("You are invited to %(institution)s") % {
                "institution": context["institution"].name
            }
            body = render_to_string("people/invitation_email.txt", context)
        send_mail(
            subject=subject,
            message=body,
            from_email=None,
            recipient_list=[to],
        )
    except (smtplib.SMTPException, OSError):
        log.exception("invitation mail not sent", person=person_id)
    else:
        log.info("invitation mail sent", person=person_id)


# --- CSV import ----------------------------------------------------------------------
@dataclass
class ImportReport:
    created: list[User] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def _decode(data: bytes) -> str:
    if len(data) > IMPORT_MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(value)s MB; split it.")
            % {"value": IMPORT_MAX_BYTES // (1024 * 1024)}
        )
    if b"\x00" in data:
        raise ValidationError(_("This is not a CSV file (it contains binary data)."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("This is not a CSV file in UTF-8 text.")) from None


def _admin_flag(value: str | None) -> bool:
    flag = (value or "").strip().lower()
    if flag in _YES:
        return True
    if flag in _NO:
        return False
    raise ValidationError(_("admin must be yes or no."))


def _reason(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" if name != "__all__" else " ".join(messages)
            for name, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


def people_import_csv(*, actor: User, data: bytes, base_url: str | None = None) -> ImportReport:
    """Invite every valid row of a CSV file (username,email,display_name[,admin]).

    Each row is invited on its own (a row is added whole or not at all); rejected
    rows are reported with their line number and reason. A file that is not UTF-8
    CSV text or lacks a required column raises ValidationError and adds nobody.
    """
    require_admin(actor)
    text = _decode(data)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    except csv.Error as error:
        raise ValidationError(_("This is not a CSV file (%(error)s).") % {"error": error}) from None
    missing = [column for column in IMPORT_COLUMNS if column not in header]
    if missing:
        raise ValidationError(
            "The file lacks the column(s) "
            + ", ".join(missing)
            + ". Its first line must name the columns username,email,display_name[,admin]."
        )
    reader.fieldnames = header
    report = ImportReport()
    try:
        for index, row in enumerate(reader):
            if index >= IMPORT_MAX_ROWS:
                report.rejected.append(
                    (reader.line_num, f"Only {IMPORT_MAX_ROWS} rows are imported at a time.")
                )
                break
            _import_row(actor, row, reader.line_num, base_url, report)
    except csv.Error as error:
        report.rejected.append((reader.line_num, f"Not readable as CSV: {error}."))
    admin_action_record(
        actor=actor,
        verb="people.imported",
        details={"invited": len(report.created), "rejected": len(report.rejected)},
    )
    return report


def _import_row(actor, row: dict, line: int, base_url, report: ImportReport) -> None:
    if None in row or any(value is None for value in row.values()):
        expected = len([key for key in row if key is not None])
        report.rejected.append((line, f"The row does not have {expected} columns like the header."))
        return
    try:
        with transaction.atomic():
            person = person_invite(
                actor=actor,
                username=row["username"].strip() or None,
                email=row["email"],
                display_name=row["display_name"],
                is_admin=_admin_flag(row.get("admin")),
                base_url=base_url,
            )
    except ValidationError as error:
        report.rejected.append((line, _reason(error)))
    else:
        report.created.append(person)


# --- access --------------------------------------------------------------------------
@transaction.atomic
def person_access_set(
    *, actor: User, person: User, is_active: bool | None = None, is_admin: bool | None = None
) -> User:
    """(De)activate ``person`` and/or grant or revoke their admin rights.

    Refused (ValidationError) when it would leave the institution without an active
    admin, whoever asks, the admin themself included. A deactivated person cannot sign
    in and their tokens stop working; nothing of theirs is deleted.
    """
    require_admin(actor)
    # Lock every active admin so that two admins removing each other at once cannot
    # both see the other still there.
    list(
        User.objects.select_for_update()
        .filter(is_staff=True, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    person = User.objects.select_for_update().get(pk=person.pk)
    changed = []
    if is_active is not None and is_active != person.is_active:
        person.is_active = is_active
        changed.append("is_active")
    if is_admin is not None and is_admin != person.is_staff:
        person.is_staff = person.is_superuser = is_admin
        changed += ["is_staff", "is_superuser"]
    if not changed:
        return person
    remaining = User.objects.filter(is_staff=True, is_active=True).exclude(pk=person.pk).count()
    if remaining == 0 and not (person.is_active and person.is_staff):
        raise ValidationError(
            _(
                "The institution must keep at least one active admin: make someone else an "
                "admin first."
            )
        )
    person.save(update_fields=changed)
    admin_action_record(
        actor=actor,
        verb="person.access_changed",
        target=person.public_id,
        details={"active": person.is_active, "admin": person.is_staff},
    )
    log.info(
        "person access changed",
        person=person.public_id,
        by=actor.public_id,
        is_active=person.is_active,
        is_admin=person.is_staff,
    )
    return person
