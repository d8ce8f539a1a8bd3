"""Periodic platform work (Celery beat): purging institutions whose grace period is over."""

from __future__ import annotations

from celery import shared_task
from django.db import connection

from shared_apps.audit.services import Actor
from tenants.services import tenant_purge_due


@shared_task(name="tenants.purge_due")
def purge_due() -> list[str]:
    """Purge every deleted institution past its grace period (runs in the public schema)."""
    connection.set_schema_to_public()
    return tenant_purge_due(actor=Actor.system("purge"))


@shared_task(name="tenants.pool_fill")
def pool_fill() -> int:
    """Top up the pool of ready schemas after provisioning used one."""
    from tenants.provisioning import pool_fill as fill

    connection.set_schema_to_public()
    return fill()


@shared_task(name="tenants.traffic_flush")
def traffic_flush() -> int:
    """Copy the per-hour request and task counters from Redis into the public schema."""
    from tenants.services import traffic_flush as flush

    connection.set_schema_to_public()
    return flush()
