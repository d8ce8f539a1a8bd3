"""Background work of people's accounts (Celery; tenant-schemas-celery runs each queued task
in the institution that queued it): building export archives, and the periodic sweep that
carries out due erasures and removes expired archives in every institution."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import connection
from django_tenants.utils import tenant_context

from tenant_apps.account.erasure import erasures_due
from tenant_apps.account.exports import export_build, exports_expire
from tenants.models import Tenant, TenantStatus

log = logging.getLogger(__name__)


@shared_task(name="account.build_export", bind=True, max_retries=3, default_retry_delay=60)
def build_export(self, export_id: int) -> None:
    try:
        export_build(export_id=export_id)
    except Exception as error:  # storage or database trouble: try again later
        raise self.retry(exc=error) from error


@shared_task(name="account.sweep")
def sweep() -> dict[str, dict[str, int]]:
    """Beat: in every live institution, erase the people whose grace period is over and
    delete export archives past their time."""
    connection.set_schema_to_public()
    done: dict[str, dict[str, int]] = {}
    for tenant in Tenant.objects.exclude(status=TenantStatus.DELETING).exclude(
        schema_name="public"
    ):
        try:
            with tenant_context(tenant):
                erased = erasures_due()
                expired = exports_expire()
            if erased or expired:
                done[tenant.slug] = {"erased": erased, "exports_expired": expired}
        except Exception:  # one institution's trouble never stops the others
            log.exception("account.sweep_tenant_failed", extra={"tenant": tenant.slug})
    connection.set_schema_to_public()
    return done
