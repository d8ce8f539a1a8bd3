"""The Celery app. tenant-schemas-celery carries the schema with every task.

A task sent while the connection points at an institution's schema runs in
that schema on the worker; ``tenant`` is bound to the task's log lines and
Sentry events there too.
"""

from __future__ import annotations

import os

import sentry_sdk
import structlog
from celery.signals import before_task_publish, task_postrun, task_prerun
from tenant_schemas_celery.app import CeleryApp as TenantAwareCeleryApp
from tenant_schemas_celery.app import get_schema_name_from_task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = TenantAwareCeleryApp("oae")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _bind_task_context(task_id=None, task=None, **_kwargs) -> None:
    # tenant-schemas-celery's own prerun handler (connected first, at import)
    # has already switched the connection; the header says which schema.
    from django_tenants.utils import get_public_schema_name

    schema = (get_schema_name_from_task(task, {}) if task else None) or get_public_schema_name()
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        task_id=task_id, task=getattr(task, "name", None), tenant=schema
    )
    sentry_sdk.get_isolation_scope().set_tag("tenant", schema)
    from config.metrics import task_started

    task_started(task, schema)


@before_task_publish.connect
def _stamp_sent_at(headers=None, **_kwargs) -> None:
    from config.metrics import task_sent

    task_sent(headers)


@task_postrun.connect
def _unbind_task_context(**_kwargs) -> None:
    structlog.contextvars.clear_contextvars()
