"""Background work of search (Celery; tenant-schemas-celery runs each task in its institution)."""

from __future__ import annotations

import logging

from celery import shared_task
from django_tenants.utils import schema_context

from tenant_apps.search.services import search_index_rebuild

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
