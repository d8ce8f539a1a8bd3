"""Error reporting: sentry-sdk, without personal data, every event tagged with its tenant."""

from __future__ import annotations

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration


def _tag_tenant(event: dict, hint: dict) -> dict:
    """Make sure every event names the schema it happened in, also outside requests."""
    from django.db import connection

    tags = event.setdefault("tags", {})
    if "tenant" not in tags:
        schema = getattr(connection, "schema_name", None)
        if schema:
            tags["tenant"] = schema
    return event


def init_sentry(
    *,
    dsn: str,
    environment: str,
    release: str | None = None,
    traces_sample_rate: float = 0.0,
) -> bool:
    """Initialise sentry-sdk when a DSN is given; returns whether it is on."""
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        # FERPA: no usernames, e-mails, cookies or IP addresses in error reports.
        # send_default_pii stays off by leaving it unset: sentry-sdk 2.7x deprecates
        # passing it and treats "unset" as False (with its PII event scrubber on).
        # Never pass data_collection here without re-reading what it collects.
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        before_send=_tag_tenant,
        max_request_body_size="never",
    )
    return True
