"""Background work of search (Celery; tenant-schemas-celery runs each task in its institution)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import connection
from django_tenants.utils import schema_context, tenant_context

from tenant_apps.search.services import search_index_rebuild, search_words_prune
from tenants.models import Tenant, TenantStatus

log = logging.getLogger(__name__)


@shared_task(name="search.rebuild_index")
def rebuild_index(schema: str) -> dict[str, int]:
    with schema_context(schema):
        counts = search_index_rebuild()
    log.info("search.rebuilt", extra={"schema": schema, "rows": counts})
    return counts


def on_language_changed(sender, *, schema: str, **kwargs) -> None:
    """The institution's search language changed (after commit): rebuild in the background."""
    rebuild_index.delay(schema)


@shared_task(name="search.prune_words")
def prune_words() -> dict[str, int]:
    """Drop the current institution's vocabulary words no visible title or name holds."""
    counts = search_words_prune()
    log.info("search.words_pruned", extra={"rows": counts})
    return counts


@shared_task(name="search.prune_words_all")
def prune_words_all() -> None:
    """Queue a vocabulary prune in every institution (beat, nightly)."""
    connection.set_schema_to_public()
    tenants = Tenant.objects.exclude(status=TenantStatus.DELETING).exclude(schema_name="public")
    for tenant in list(tenants):
        with tenant_context(tenant):
            prune_words.delay()
    connection.set_schema_to_public()
