"""The periodic blob collector (Celery beat): every institution, in its own schema."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import connection
from django_tenants.utils import tenant_context

from tenant_apps.blobs.services import blob_collect_garbage
from tenants.models import Tenant, TenantStatus

log = logging.getLogger(__name__)


@shared_task(name="blobs.collect_garbage")
def collect_garbage() -> dict[str, int]:
    """Remove unreferenced blobs past their grace period in every live institution."""
    connection.set_schema_to_public()
    removed: dict[str, int] = {}
    for tenant in Tenant.objects.exclude(status=TenantStatus.DELETING).exclude(
        schema_name="public"
    ):
        try:
            with tenant_context(tenant):
                removed[tenant.slug] = blob_collect_garbage(tenant=tenant)
        except Exception:  # one institution's trouble never stops the others
            log.exception("blob.gc_tenant_failed", extra={"tenant": tenant.slug})
    connection.set_schema_to_public()
    return removed
