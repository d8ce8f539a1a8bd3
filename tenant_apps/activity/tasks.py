"""Background work of the activity app (Celery; each task runs in its institution's schema).

The fan-out and e-mail are queued after the commit of the change; the sweep (beat, every
minute, every institution) picks up whatever a lost broker message left pending, so the
work is durable without the request ever waiting for it.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import connection
from django_tenants.utils import tenant_context

from tenant_apps.activity.emails import (
    DeliveryFailed,
    deliveries_pending,
    digests_prepare,
    email_deliver,
)
from tenant_apps.activity.fanout import activity_fan_out, fan_out_pending
from tenants.models import Tenant, TenantStatus

log = logging.getLogger(__name__)


@shared_task(name="activity.fanout")
def fanout(*, activity_ids: list[int]) -> int:
    """Fan out activities of the current institution (written by activity_record)."""
    return sum(1 for activity_id in activity_ids if activity_fan_out(activity_id) is not None)


@shared_task(name="activity.email_deliver_many", bind=True, max_retries=5)
def email_deliver_many(self, *, delivery_ids: list[int]) -> int:
    """Send e-mails of the current institution; a failed one is retried with back-off."""
    failed = []
    sent = 0
    for delivery_id in delivery_ids:
        try:
            sent += email_deliver(delivery_id) == "sent"
        except DeliveryFailed:
            failed.append(delivery_id)
    if failed:
        raise self.retry(
            kwargs={"delivery_ids": failed}, countdown=min(60 * 2**self.request.retries, 3600)
        )
    return sent


def _institutions():
    connection.set_schema_to_public()
    return list(Tenant.objects.exclude(status=TenantStatus.DELETING).exclude(schema_name="public"))


@shared_task(name="activity.sweep_all")
def sweep_all() -> None:
    """Queue a sweep in every institution (beat)."""
    for tenant in _institutions():
        with tenant_context(tenant):
            sweep.delay()
    connection.set_schema_to_public()


@shared_task(name="activity.sweep")
def sweep() -> dict[str, int]:
    """Fan out activities and send e-mails left pending for a minute (a lost message)."""
    fanned = fan_out_pending(older_than_seconds=60)
    pending = deliveries_pending(older_than_seconds=60)
    if pending:
        email_deliver_many.delay(delivery_ids=pending)
    return {"fanned_out": fanned, "emails": len(pending)}


@shared_task(name="activity.digests_all")
def digests_all(*, frequency: str) -> None:
    """Queue the digests of every institution (beat: daily, and weekly on Mondays)."""
    for tenant in _institutions():
        with tenant_context(tenant):
            digests.delay(frequency=frequency)
    connection.set_schema_to_public()


@shared_task(name="activity.digests")
def digests(*, frequency: str) -> int:
    """Gather and send this institution's digests of ``frequency``."""
    deliveries = digests_prepare(frequency=frequency)
    for start in range(0, len(deliveries), 100):
        email_deliver_many.delay(delivery_ids=deliveries[start : start + 100])
    return len(deliveries)
