"""Mail about one's own account, sent after the commit; a mail server that is down is logged."""

from __future__ import annotations

import smtplib
from functools import partial

import structlog
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

log = structlog.get_logger(__name__)


def mail_after_commit(*, to: str, subject: str, template: str, context: dict) -> None:
    """Send ``template`` (plain text) to ``to`` once the caller's transaction commits."""
    if not to:
        return
    transaction.on_commit(
        partial(_send, to=to, subject=subject, template=template, context=context)
    )


def _send(*, to: str, subject: str, template: str, context: dict) -> None:
    try:
        send_mail(
            subject=subject,
            message=render_to_string(template, context),
            from_email=None,
            recipient_list=[to],
        )
    except (smtplib.SMTPException, OSError):
        log.exception("account mail not sent", template=template)
    else:
        log.info("account mail sent", template=template)
