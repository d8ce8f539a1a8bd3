"""Making institution schemas fast: a template schema kept at head, replayed under a new name.

Running every migration into a new schema costs seconds and grows with the size of
the catalog (thousands of tenants). Instead ``template_refresh`` keeps one schema,
``oae_template``, migrated to head and stores a pg_dump of it in the public schema;
``schema_create_from_template`` replays that dump under the new schema's name in
the caller's transaction - a fixed amount of work however many institutions exist.

A template whose recorded migrations differ from the code's is stale and refused
(``TemplateStale``): cloning it would silently make institutions without the
newest tables or columns. ``migrate_tenants`` refreshes it.
"""

from __future__ import annotations

import io
import threading
import time
import uuid

import structlog
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django_tenants.utils import schema_exists

from config.errors import DomainError
from tenants.models import SchemaPoolEntry, SchemaTemplate
from tenants.schemas import (
    applied_migrations,
    code_migrations,
    dump_schema_text,
    fingerprint,
    restore_schema,
)

log = structlog.get_logger(__name__)

# Advisory lock key: one template refresh at a time, across processes.
TEMPLATE_LOCK = 0x0AE7E3A1
_cache_lock = threading.Lock()
_cached: tuple[int, str, str] | None = None  # (pk, fingerprint, dump)


class TemplateStale(DomainError, RuntimeError):
    """The template's migrations differ from the code's: refresh it before provisioning.

    Every edge answers 503 with this message (an operator's job, not the caller's).
    """

    status = 503
    slug = "service-unavailable"

    def __init__(self, message: str) -> None:
        super().__init__(message, detail=message)


def template_schema() -> str:
    return settings.TENANT_TEMPLATE_SCHEMA


def migrate_schema(schema: str, *, verbosity: int = 0) -> None:
    """Apply the code's migrations to one (tenant-kind) schema, creating it if missing."""
    if not schema_exists(schema):
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{schema}"')
    call_command(
        "migrate_schemas",
        schema_name=schema,
        tenant=True,
        interactive=False,
        verbosity=verbosity,
        skip_checks=True,
        executor="standard",
    )
    connection.set_schema_to_public()


def template_refresh(*, verbosity: int = 0) -> SchemaTemplate:
    """Bring the template schema to head and store a fresh dump when it changed.

    Commits as it goes (pg_dump, another connection, must see the migrated
    schema), so it refuses to run inside a transaction. Safe to run concurrently
    (an advisory lock serialises it) and cheap when the template is already at
    head (two queries, no dump).
    """
    schema = template_schema()
    connection.set_schema_to_public()
    target = fingerprint(code_migrations())
    current = SchemaTemplate.objects.only("id", "fingerprint").first()
    if current is not None and current.fingerprint == target and schema_exists(schema):
        return SchemaTemplate.objects.get(pk=current.pk)
    if connection.in_atomic_block:
        raise TemplateStale(
            "The institution template must be refreshed outside a transaction; "
            "run `manage.py migrate_tenants`."
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [TEMPLATE_LOCK])
    try:
        # Again under the lock: another process may have refreshed it meanwhile.
        current = SchemaTemplate.objects.only("id", "fingerprint").first()
        if current is not None and current.fingerprint == target and schema_exists(schema):
            return SchemaTemplate.objects.get(pk=current.pk)
        started = time.monotonic()
        migrate_schema(schema, verbosity=verbosity)
        # Only the code's migrations count: rows of migrations the code no longer
        # has (squashed, or from an older deploy) make no schema stale.
        applied = applied_migrations(schema) & code_migrations()
        dump = dump_schema_text(schema)
        with transaction.atomic():
            template = SchemaTemplate.objects.create(
                fingerprint=fingerprint(applied), migrations=len(applied), dump=dump
            )
            SchemaTemplate.objects.exclude(pk=template.pk).delete()
        log.info(
            "template refreshed",
            schema=schema,
            migrations=len(applied),
            seconds=round(time.monotonic() - started, 2),
        )
        return template
    finally:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [TEMPLATE_LOCK])


def template_current() -> tuple[str, str]:
    """The stored template's (fingerprint, dump); built first if none exists yet.

    Call it before opening the transaction that provisions: building commits.
    """
    global _cached
    head = SchemaTemplate.objects.only("id", "fingerprint").first()
    if head is None:
        head = template_refresh()
    with _cache_lock:
        if _cached is not None and _cached[:2] == (head.pk, head.fingerprint):
            return _cached[1], _cached[2]
    template = SchemaTemplate.objects.get(pk=head.pk)
    with _cache_lock:
        _cached = (template.pk, template.fingerprint, template.dump)
    return template.fingerprint, template.dump


def schema_create_from_template(schema: str) -> None:
    """Create ``schema`` as a copy of the template at head, inside the caller's transaction.

    Takes a ready schema from the pool and renames it when one of the current
    template is there (a catalog update); otherwise replays the template's dump.
    Raises TemplateStale when the stored template does not match the code's migrations.
    """
    template_fingerprint, dump = template_current()
    expected = fingerprint(code_migrations())
    if template_fingerprint != expected:
        raise TemplateStale(
            "The institution template is not at the code's migration head; run "
            "`manage.py migrate_tenants` to refresh it before creating institutions."
        )
    if not dump:
        raise TemplateStale("The institution template has no dump; run migrate_tenants.")
    if _pool_take(expected, schema):
        return
    restore_schema(io.StringIO(dump), source=template_schema(), target=schema)


# --- the pool of ready schemas ------------------------------------------------------
def _pool_take(template_fingerprint: str, schema: str) -> bool:
    """Rename a pooled schema of the current template to ``schema``; False if none is free.

    SKIP LOCKED: concurrent provisioning never waits for, or gets, the same entry.
    The rename is transactional, so a rolled-back provisioning gives it back.
    """
    entry = (
        SchemaPoolEntry.objects.select_for_update(skip_locked=True)
        .filter(fingerprint=template_fingerprint)
        .order_by("created", "id")
        .first()
    )
    if entry is None:
        return False
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER SCHEMA "{entry.schema_name}" RENAME TO "{schema}"')
    entry.delete()
    connection.search_path_set_schemas = None
    transaction.on_commit(_pool_refill_later)
    return True


def _pool_refill_later() -> None:
    from tenants.tasks import pool_fill

    try:
        pool_fill.delay()
    except Exception:  # no broker: the next migrate_tenants or pool_fill call refills it
        log.warning("pool refill not queued", exc_info=True)


def pool_fill(*, size: int | None = None) -> int:
    """Top the pool up to ``size`` ready schemas of the current template; drop stale ones.

    Runs outside any transaction (each schema is made in its own); returns how many
    were added.
    """
    size = settings.TENANT_POOL_SIZE if size is None else size
    connection.set_schema_to_public()
    template_fingerprint, dump = template_current()
    for stale in SchemaPoolEntry.objects.exclude(fingerprint=template_fingerprint):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{stale.schema_name}" CASCADE')
            stale.delete()
    added = 0
    while SchemaPoolEntry.objects.filter(fingerprint=template_fingerprint).count() < size:
        name = f"oae_pool_{uuid.uuid4().hex[:16]}"
        with transaction.atomic():
            restore_schema(io.StringIO(dump), source=template_schema(), target=name)
            SchemaPoolEntry.objects.create(schema_name=name, fingerprint=template_fingerprint)
        added += 1
    connection.set_schema_to_public()
    return added
