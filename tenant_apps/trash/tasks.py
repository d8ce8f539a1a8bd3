"""The trash's purge (Celery beat, hourly): every institution, in its own schema."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import connection
from django_tenants.utils import tenant_context

from tenant_apps.trash.services import trash_purge_due
from tenants.models import Tenant, TenantStatus

log = logging.getLogger(__name__)


@shared_task(name="trash.purge_due")
def purge_due() -> dict[str, dict[str, int]]:
    """Purge what has been in each institution's trash past its period; blobs left without
    a reference are then removed by the blob collector (blobs.collect_garbage)."""
    connection.set_schema_to_public()
    done: dict[str, dict[str, int]] = {}
    tenants = Tenant.objects.exclude(status=TenantStatus.DELETING).exclude(schema_name="public")
    for tenant in list(tenants):
        try:
            with tenant_context(tenant):
                done[tenant.slug] = trash_purge_due()
        except Exception:  # one institution's trouble never stops the others
            log.exception("trash.purge_failed", extra={"tenant": tenant.slug})
    connection.set_schema_to_public()
    return done
