"""Migrating every schema: public, the template and each institution, in parallel.

Each institution's schema migrates in its own worker process and transaction, so
one failing institution stops only itself. A schema whose recorded migrations
already include every migration of the code is skipped after a single query,
which makes a re-run (to resume after a failure) and a no-op deploy cheap.
"""

from __future__ import annotations

import multiprocessing
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.management import call_command
from django.db import connection, connections

from tenants.models import Tenant
from tenants.provisioning import migrate_schema, pool_fill, template_refresh
from tenants.schemas import applied_migrations, code_migrations


@dataclass
class MigrationReport:
    total: int = 0
    skipped: int = 0
    migrated: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


def schemas_behind(schemas: list[str]) -> list[str]:
    """The schemas missing at least one of the code's migrations (one query each)."""
    head = code_migrations()
    return [schema for schema in schemas if not head <= applied_migrations(schema)]


def _migrate_one(schema: str) -> tuple[str, float, str | None]:
    started = time.monotonic()
    try:
        migrate_schema(schema)
    except Exception as error:  # reported per schema; the others carry on
        detail = f"{type(error).__name__}: {error}".strip()
        if os.environ.get("OAE_MIGRATE_TRACEBACKS"):
            detail += "\n" + traceback.format_exc()
        return schema, time.monotonic() - started, detail
    return schema, time.monotonic() - started, None


def _migrate_in_worker(schema: str) -> tuple[str, float, str | None]:
    try:
        return _migrate_one(schema)
    finally:
        connection.close()  # a worker serves several schemas; start each one clean


def _worker_init() -> None:
    # The fork inherited the parent's (closed) connection objects; start clean.
    for conn in connections.all(initialized_only=True):
        conn.connection = None


def migrate_tenants(
    *,
    jobs: int = 2,
    only: list[str] | None = None,
    progress: Callable[[str], None] = print,
) -> MigrationReport:
    """Migrate public, refresh the template, then every institution behind head."""
    started = time.monotonic()
    report = MigrationReport()
    progress("migrating the public schema")
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    progress("bringing the institution template to head")
    template_refresh()
    added = pool_fill()
    progress(f"pool of ready schemas topped up ({added} added)")

    connection.set_schema_to_public()
    schemas = list(Tenant.objects.order_by("schema_name").values_list("schema_name", flat=True))
    if only:
        schemas = [schema for schema in schemas if schema in set(only)]
    report.total = len(schemas)
    behind = schemas_behind(schemas)
    report.skipped = report.total - len(behind)
    progress(
        f"{report.total} institution(s): {report.skipped} already at head, "
        f"{len(behind)} to migrate with {min(jobs, max(len(behind), 1))} job(s)"
    )

    def record(result: tuple[str, float, str | None], done: int) -> None:
        schema, seconds, error = result
        if error is None:
            report.migrated.append(schema)
            progress(
                f"[{done}/{len(behind)}] {schema} migrated in {seconds:.1f}s"
                f" ({len(report.failed)} failed so far)"
            )
        else:
            report.failed[schema] = error
            progress(
                f"[{done}/{len(behind)}] {schema} FAILED after {seconds:.1f}s: "
                f"{error.splitlines()[0]}"
            )

    if behind and jobs > 1:
        connections.close_all()  # never share a socket with the forked workers
        context = multiprocessing.get_context("fork")
        with context.Pool(
            processes=min(jobs, len(behind)), initializer=_worker_init, maxtasksperchild=50
        ) as pool:
            for done, result in enumerate(pool.imap_unordered(_migrate_in_worker, behind), 1):
                record(result, done)
    else:
        for done, schema in enumerate(behind, 1):
            record(_migrate_one(schema), done)
    connection.set_schema_to_public()
    report.seconds = time.monotonic() - started
    return report
