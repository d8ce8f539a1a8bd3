"""Migrating every schema: public, the template and each institution, in parallel - fast.

Django migrates one database at a time: each run builds the migration graph, renders
the model states twice, asks whether ``django_migrations`` exists by listing every
table the search path can see (a cost that grows with the number of schemas in the
catalog) and sends the post-migrate signals of every app. Run once per schema, that
made one trivial migration over 1,000 institutions take ten minutes. Here:

1. Which schemas are behind costs one small query per schema (a digest of its
   ``django_migrations``, compared with the code's); a run with nothing to do is cheap.
2. Schemas behind are grouped by what they have applied; each group has one plan,
   made once per run from one migration loader.
3. A plan whose operations all reduce to SQL (``CreateModel``, ``AddField``,
   ``AddIndex``, ``RunSQL``...) is **replayed**: its SQL is collected once, on the
   group's first schema (a tenant schema: on the public schema the tenant router
   silently drops tenant apps' operations), then each schema runs that script and
   records its ``django_migrations`` rows in one transaction and one round trip.
   Content types and permissions are made only when the plan adds or changes models.
4. Any other plan (``RunPython``, non-atomic migrations, custom operations) runs
   through Django's executor, loaded once per worker process and reused across
   schemas, with the pre- and post-migrate signals Django's ``migrate`` sends.
5. A replay that fails is rolled back and retried once with the executor, so a
   schema whose catalog differs from its group's still migrates if Django can do it.

Each schema migrates in its own transaction in one of ``jobs`` worker processes, so
one failing institution stops only itself; re-running resumes (schemas at head are
skipped after their one query).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache

from django.apps import apps as global_apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.migrations import operations as ops
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.migration import Migration
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ModelState, ProjectState
from django.db.models.signals import post_migrate
from django_tenants.utils import schema_exists

from tenants.models import SchemaPoolEntry, SchemaTemplate, Tenant
from tenants.provisioning import TEMPLATE_LOCK, pool_fill, template_refresh, template_schema
from tenants.schemas import (
    AFTER_DUMP,
    _check_name,
    applied_migrations,
    code_migrations,
    fingerprint,
    migration_loader,
)

Key = tuple[str, str]

# Operations whose SQL does not depend on the rows of the schema it runs in: their
# collected SQL is the same in every schema cloned from the same template. Exact
# types only - a subclass may do anything in database_forwards.
REPLAYABLE = frozenset(
    {
        ops.CreateModel,
        ops.DeleteModel,
        ops.AlterModelTable,
        ops.AlterModelTableComment,
        ops.AlterUniqueTogether,
        ops.AlterIndexTogether,
        ops.AlterOrderWithRespectTo,
        ops.AlterModelOptions,
        ops.AlterModelManagers,
        ops.AddIndex,
        ops.RemoveIndex,
        ops.RenameIndex,
        ops.AddConstraint,
        ops.RemoveConstraint,
        ops.AddField,
        ops.RemoveField,
        ops.AlterField,
        ops.RenameField,
        ops.RunSQL,
    }
)
# Operations after which content types and permissions may be missing or stale.
MODEL_CHANGES = (ops.CreateModel, ops.AlterModelOptions)


@dataclass
class MigrationReport:
    total: int = 0
    skipped: int = 0
    migrated: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    replayed: int = 0  # of migrated: by the collected SQL (the rest by the executor)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


# --- which schemas are behind ------------------------------------------------------
_DIGEST_SQL = (
    "SELECT md5(coalesce(string_agg(app || '.' || name, E'\\n' "
    'ORDER BY app COLLATE "C", name COLLATE "C"), \'\')) FROM "{schema}".django_migrations'
)


def _digest(migrations: Iterable[Key]) -> str:
    text = "\n".join(f"{app}.{name}" for app, name in sorted(migrations))
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _checked_states(schemas: list[str], head: frozenset[Key]) -> dict[str, frozenset[Key]]:
    """What each schema has applied of the code's migrations, read from the schema itself.

    One query per schema (a digest of its ``django_migrations``), plus one for the
    whole list to find schemas without that table; the full list of rows is read only
    for a schema whose digest differs from the code's (behind, or holding rows of
    migrations the code no longer has). Never a query across two schemas' tables.
    """
    expected = _digest(head)
    for schema in schemas:
        _check_name(schema)
    states: dict[str, frozenset[Key]] = {}
    if not schemas:
        return states
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s FROM unnest(%s::text[]) AS s "
            "WHERE to_regclass(quote_ident(s) || '.django_migrations') IS NULL",
            [schemas],
        )
        bare = {row[0] for row in cursor.fetchall()}
        for schema in schemas:
            if schema in bare:
                states[schema] = frozenset()
                continue
            cursor.execute(_DIGEST_SQL.format(schema=schema))
            if cursor.fetchone()[0] == expected:
                states[schema] = head
                continue
            states[schema] = applied_migrations(schema) & head
    return states


def schema_states(
    schemas: list[str], *, records: bool = False, trust: bool = True
) -> dict[str, frozenset[Key]]:
    """The schemas missing at least one of the code's migrations, with what they have.

    With ``records`` (institution schemas, ``migrate_tenants``), a schema whose record
    in the public schema is valid (``recorded_states``) costs no query of its own; the
    others are read from their own ``django_migrations`` (``_checked_states``) and then
    recorded, so the next run knows them. Without (or with ``trust=False``: every
    record re-checked and rewritten), every schema is read.
    """
    head = code_migrations()
    known = recorded_states(schemas) if records and trust else {}
    unknown = [schema for schema in schemas if schema not in known]
    checked = _checked_states(unknown, head)
    if records and checked:
        record_states(checked)
    states = {**known, **checked}
    return {schema: applied for schema, applied in states.items() if applied != head}


# --- the public record of each institution schema's migrations -----------------------
_STATE_TABLES = ("tenants_migrationset", "tenants_schemamigrationstate")


def _records_available() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(to_regclass('public.' || t)) FROM unnest(%s::text[]) AS t",
            [list(_STATE_TABLES)],
        )
        return cursor.fetchone()[0] == len(_STATE_TABLES)


def recorded_states(schemas: list[str]) -> dict[str, frozenset[Key]]:
    """What each of ``schemas`` has applied, as recorded in public (two queries).

    A record counts only while its schema is the object it was written for (same
    namespace oid: a schema dropped and made again under the same name is unknown) and
    its migration set is stored. Schemas without a valid record are left out: the
    caller reads them from the schemas themselves.
    """
    if not schemas or not _records_available():
        return {}
    wanted = set(schemas)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.schema_name, r.digest FROM public.tenants_schemamigrationstate r "
            "WHERE r.namespace = to_regnamespace(quote_ident(r.schema_name))::oid::bigint"
        )
        digests = {name: digest for name, digest in cursor.fetchall() if name in wanted}
        if not digests:
            return {}
        cursor.execute(
            "SELECT digest, migrations FROM public.tenants_migrationset "
            "WHERE digest = ANY(%s::text[])",
            [sorted(set(digests.values()))],
        )
        # Django leaves jsonb undecoded on a raw cursor.
        sets = {
            digest: json.loads(migrations) if isinstance(migrations, str) else migrations
            for digest, migrations in cursor.fetchall()
        }
    head = code_migrations()
    applied = {
        digest: frozenset((app, name) for app, name in migrations) & head
        for digest, migrations in sets.items()
    }
    return {name: applied[digest] for name, digest in digests.items() if digest in applied}


def _store_sets(sets: Iterable[frozenset[Key]]) -> dict[frozenset[Key], str]:
    """Store each migration set once (by digest); returns the digests."""
    digests = {applied: _digest(applied) for applied in set(sets)}
    with connection.cursor() as cursor:
        for applied, digest in digests.items():
            cursor.execute(
                "INSERT INTO public.tenants_migrationset (digest, migrations, created) "
                "VALUES (%s, %s::jsonb, now()) ON CONFLICT (digest) DO NOTHING",
                [digest, json.dumps(sorted([app, name] for app, name in applied))],
            )
    return digests


_RECORD_SQL = (
    "INSERT INTO public.tenants_schemamigrationstate (schema_name, namespace, digest, updated) "
    "SELECT s.name, to_regnamespace(quote_ident(s.name))::oid::bigint, s.digest, now() "
    "FROM unnest(%s::text[], %s::text[]) AS s(name, digest) "
    "WHERE to_regnamespace(quote_ident(s.name)) IS NOT NULL "
    "ON CONFLICT (schema_name) DO UPDATE SET namespace = EXCLUDED.namespace, "
    "digest = EXCLUDED.digest, updated = EXCLUDED.updated"
)


def record_states(states: dict[str, frozenset[Key]]) -> None:
    """Record what each schema has applied (one statement, plus one per new set)."""
    if not states or not _records_available():
        return
    digests = _store_sets(states.values())
    names = sorted(states)
    with connection.cursor() as cursor:
        cursor.execute(_RECORD_SQL, [names, [digests[states[name]] for name in names]])


def forget_states(schemas: list[str]) -> None:
    """Drop the records of these schemas: the next run reads them from the schemas."""
    if schemas and _records_available():
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM public.tenants_schemamigrationstate "
                "WHERE schema_name = ANY(%s::text[])",
                [schemas],
            )


def _prune_records() -> None:
    """Records of schemas no institution has any more, and sets no record uses."""
    head = _digest(code_migrations())
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM public.tenants_schemamigrationstate r WHERE NOT EXISTS "
            "(SELECT 1 FROM public.tenants_tenant t WHERE t.schema_name = r.schema_name)"
        )
        cursor.execute(
            "DELETE FROM public.tenants_migrationset m WHERE m.digest <> %s AND NOT EXISTS "
            "(SELECT 1 FROM public.tenants_schemamigrationstate r WHERE r.digest = m.digest)",
            [head],
        )


def _state_sql(schema: str, digest: str) -> str:
    """The record of ``schema`` at ``digest``, as SQL for a replay script."""
    with connection.cursor() as cursor:
        return cursor.mogrify(_RECORD_SQL, [[schema], [digest]]).decode() + ";"


def _public_applied() -> frozenset[Key] | None:
    """What public's ``django_migrations`` holds (one query); None without the table."""
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('public.django_migrations')")
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute("SELECT app, name FROM public.django_migrations")
        return frozenset(cursor.fetchall())


def public_at_head() -> bool:
    """True when public's ``django_migrations`` holds every one of the code's migrations.

    One query; Django's ``migrate`` (graph, checks, post-migrate signals of every app)
    runs only when something may be missing. Rows of migrations the code no longer has
    (a removed app, squashed migrations) do not count: without this, every run after
    removing an app would migrate public again.
    """
    applied = _public_applied()
    return applied is not None and code_migrations() <= applied


def _shared_app_labels() -> frozenset[str]:
    return frozenset(
        config.label
        for config in global_apps.get_app_configs()
        if config.name in settings.SHARED_APPS
    )


def public_fast_forward() -> list[Key] | None:
    """Record in public a plan made only of institution apps' migrations (no ``migrate``).

    On public the tenant router drops every operation of an app that is not shared, so
    Django's ``migrate`` would only record those migrations - after building its graph,
    rendering the models and sending every app's post-migrate signal (two seconds). When
    the plan holds no shared app's migration and adds or changes no model (whose content
    types ``migrate`` would also write in public), the rows are inserted directly, in
    one statement. Returns the migrations recorded, or None (then ``migrate`` runs).
    """
    applied = _public_applied()
    if applied is None:
        return None
    plan = _plan(applied & code_migrations())
    shared = _shared_app_labels()
    if not plan or any(
        migration.app_label in shared
        or any(isinstance(operation, MODEL_CHANGES) for operation in migration.operations)
        for migration in plan
    ):
        return None
    keys = [(migration.app_label, migration.name) for migration in plan]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_record_sql("public", keys))
    return keys


def schemas_behind(schemas: list[str], *, records: bool = False) -> list[str]:
    """The schemas missing at least one of the code's migrations, in the given order.

    ``records``: institution schemas, known from their records in public when valid.
    """
    behind = schema_states(schemas, records=records)
    return [schema for schema in schemas if schema in behind]


# --- plans ---------------------------------------------------------------------------
class _Recorder(MigrationRecorder):
    """Asks for the current schema's ``django_migrations`` with ``to_regclass``.

    Django's check lists every table visible on the search path (the whole catalog's
    worth of introspection with thousands of schemas) and caches the answer on the
    recorder, which is wrong once the recorder serves another schema.
    """

    def has_table(self) -> bool:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s)", [self.Migration._meta.db_table])
            return cursor.fetchone()[0] is not None


@cache
def _executor() -> MigrationExecutor:
    """One loaded executor per process (forked workers inherit the parent's)."""
    # Built by hand around the process's one loader (``migration_loader``): a second
    # MigrationLoader would import and re-execute every migration module again.
    executor = MigrationExecutor.__new__(MigrationExecutor)
    executor.connection = connection
    executor.loader = migration_loader()  # the graph from the code, no database
    executor.recorder = _Recorder(connection)
    executor.progress_callback = None
    return executor


def _plan(applied: frozenset[Key]) -> list[Migration]:
    executor = _executor()
    graph = executor.loader.graph
    executor.loader.applied_migrations = {key: graph.nodes[key] for key in applied}
    plan = executor.migration_plan(graph.leaf_nodes())
    return [migration for migration, _backwards in plan]


def _flatten(operations: Iterable[ops.base.Operation]) -> Iterable[ops.base.Operation]:
    for operation in operations:
        if type(operation) is ops.SeparateDatabaseAndState:
            yield from _flatten(operation.database_operations)
        else:
            yield operation


def is_replayable(plan: list[Migration]) -> bool:
    """True when every operation of the plan is SQL independent of the schema's rows."""
    return all(
        migration.atomic
        and not migration.replaces
        and all(
            type(operation) in REPLAYABLE or type(operation) is ops.SeparateDatabaseAndState
            for operation in _flatten(migration.operations)
        )
        for migration in plan
    )


def _tenant_app_labels() -> frozenset[str]:
    return frozenset(
        config.label
        for config in global_apps.get_app_configs()
        if config.name in settings.TENANT_APPS
    )


def changes_models(plan: list[Migration]) -> bool:
    """Whether the plan adds or changes models of a tenant app (content types, permissions).

    A public-only app's new model (the tenant router drops its operations in institution
    schemas) creates nothing there: no post-migrate work in 10,000 schemas for it.
    """
    tenant_apps = _tenant_app_labels()
    return any(
        isinstance(operation, MODEL_CHANGES)
        for migration in plan
        if migration.app_label in tenant_apps
        for operation in migration.operations
    )


@dataclass
class Plan:
    """What one group of schemas (the same migrations applied) needs."""

    applied: frozenset[Key]
    migrations: list[Key]
    script: str | None = None  # the SQL to replay; None: run the executor
    post_migrate: bool = False


@cache
def _pre_state(applied: frozenset[Key]) -> ProjectState:
    executor = _executor()
    graph = executor.loader.graph
    executor.loader.applied_migrations = {key: graph.nodes[key] for key in applied}
    # Not rendered here: the models are rendered (about a second) only if an operation
    # asks for them - a RunSQL never does; AddField and the like do, once per plan.
    return executor._create_project_state(with_applied_migrations=True)


def _collect_sql(schema: str, plan: list[Migration], applied: frozenset[Key]) -> list[str]:
    """The plan's SQL as Django would run it in ``schema`` (which stays unchanged)."""
    connection.set_schema(schema)
    try:
        state = _pre_state(applied).clone()
        statements: list[str] = []
        for migration in plan:
            with connection.schema_editor(collect_sql=True, atomic=False) as editor:
                state = migration.apply(state, editor, collect_sql=True)
            statements.extend(editor.collected_sql)
        return statements
    finally:
        connection.set_schema_to_public()


def make_plans(behind: dict[str, frozenset[Key]]) -> dict[frozenset[Key], Plan]:
    """One plan per distinct applied set, its SQL collected on one schema of the group."""
    plans: dict[frozenset[Key], Plan] = {}
    for schema, applied in behind.items():
        if applied in plans:
            continue
        migrations = _plan(applied)
        plan = Plan(
            applied=applied,
            migrations=[(m.app_label, m.name) for m in migrations],
            post_migrate=changes_models(migrations),
        )
        if is_replayable(migrations):
            statements = [
                line for line in _collect_sql(schema, migrations, applied) if line.strip()
            ]
            plan.script = "\n".join(statements)
        plans[applied] = plan
    return plans


# --- migrating one schema ------------------------------------------------------------
def _record_sql(schema: str, migrations: list[Key]) -> str:
    if not migrations:
        return ""
    with connection.cursor() as cursor:
        values = ", ".join(
            cursor.mogrify("(%s, %s, now())", [app, name]).decode() for app, name in migrations
        )
    return f'INSERT INTO "{schema}".django_migrations (app, name, applied) VALUES {values};'  # noqa: S608 (checked name, mogrified values)


def _post_migrate(schema: str, plan: list[Migration]) -> None:
    """Content types and permissions, as ``migrate`` makes them, in ``schema``.

    The post-migrate signal goes to the apps whose models the plan adds or changes only:
    sent to every app (as ``migrate`` does) it cost about 75 queries per schema (each
    app's content types and permissions read back), 0.4 s of each schema's replay of a
    migration adding one model. The other apps' models did not change, so neither did
    their content types nor permissions.
    """
    connection.set_schema(schema)
    changed = {
        migration.app_label
        for migration, _backwards in plan
        if any(isinstance(operation, MODEL_CHANGES) for operation in migration.operations)
    }
    head_apps = _head_apps()
    for app_config in global_apps.get_app_configs():
        if app_config.models_module is None or app_config.label not in changed:
            continue
        post_migrate.send(
            sender=app_config,
            app_config=app_config,
            verbosity=0,
            interactive=False,
            using=DEFAULT_DB_ALIAS,
            apps=head_apps,
            plan=plan,
        )


@cache
def _head_apps():
    """The models at the code's head (where every plan ends), rendered once per process."""
    return _executor().loader.project_state().apps


def replay_script(schema: str, plan: Plan) -> str:
    """The plan's SQL for ``schema``: its search path, the collected SQL, the records."""
    _check_name(schema)
    return "\n".join(
        [
            f'SET LOCAL search_path = "{schema}", public;',
            plan.script or "",
            _record_sql(schema, plan.migrations),
        ]
    )


def replay(schema: str, plan: Plan, *, record: bool = False) -> None:
    """Run the plan's collected SQL in ``schema`` and record it, in one transaction.

    With ``record`` (institution schemas), the schema's record in public is written in
    the same statement: it says head only if the migration committed.
    """
    script = replay_script(schema, plan)
    if record:
        script += "\n" + _state_sql(schema, _digest(code_migrations()))
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(script)
        if plan.post_migrate:
            graph = _executor().loader.graph
            _post_migrate(schema, [(graph.nodes[key], False) for key in plan.migrations])
    connection.set_schema_to_public()


def migrate_with_executor(schema: str) -> None:
    """Django's ``migrate`` for one schema, with this process's loaded executor."""
    _check_name(schema)
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    executor = _executor()
    connection.set_schema(schema)
    try:
        executor.recorder.ensure_schema()
        applied = applied_migrations(schema) & code_migrations()
        migrations = _plan(applied)
        if not migrations:
            return
        graph = executor.loader.graph
        executor.loader.applied_migrations = {key: graph.nodes[key] for key in applied}
        targets = graph.leaf_nodes()
        plan = [(migration, False) for migration in migrations]
        # pre_migrate handlers (contenttypes' rename injection) edit the migrations'
        # operations in place: give the shared loader's migrations back unchanged.
        kept = {migration: list(migration.operations) for migration in migrations}
        pre_state = _pre_state(applied)
        try:
            emit_pre_migrate_signal(0, False, DEFAULT_DB_ALIAS, apps=pre_state.apps, plan=plan)
            post_state = executor.migrate(targets, plan=plan, state=pre_state.clone())
        finally:
            for migration, operations in kept.items():
                migration.operations = operations
        post_state.clear_delayed_apps_cache()
        post_apps = post_state.apps
        with post_apps.bulk_update():
            model_keys = []
            for model_state in post_apps.real_models:
                model_key = model_state.app_label, model_state.name_lower
                model_keys.append(model_key)
                post_apps.unregister_model(*model_key)
        post_apps.render_multiple(
            [ModelState.from_model(global_apps.get_model(*key)) for key in model_keys]
        )
        emit_post_migrate_signal(0, False, DEFAULT_DB_ALIAS, apps=post_apps, plan=plan)
    finally:
        connection.set_schema_to_public()


def _describe(error: Exception) -> str:
    detail = f"{type(error).__name__}: {error}".strip()
    if os.environ.get("OAE_MIGRATE_TRACEBACKS"):
        detail += "\n" + traceback.format_exc()
    return detail


def template_fast_forward() -> Plan | None:
    """Replay the pending migrations into the template, and append them to its dump.

    A migration then needs no new pg_dump of the template (which reads the whole
    catalog: tens of seconds with thousands of schemas): new institutions replay the
    stored dump and then this SQL. Only for a replayable plan that adds no model (the
    post-migrate signal writes rows the SQL would not carry) and a stored dump of
    exactly the template's state; returns the plan replayed, or None (then
    ``template_refresh`` dumps it).
    """
    schema = template_schema()
    connection.set_schema_to_public()
    stored = SchemaTemplate.objects.only("id", "fingerprint").first()
    if stored is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [TEMPLATE_LOCK])
    try:
        state = schema_states([schema]) if schema_exists(schema) else {}
        applied = state.get(schema)
        if applied is None or stored.fingerprint != fingerprint(applied):
            return None
        plan = make_plans({schema: applied})[applied]
        if plan.script is None or plan.post_migrate:
            return None
        with transaction.atomic():
            template = SchemaTemplate.objects.select_for_update().get(pk=stored.pk)
            if template.fingerprint != stored.fingerprint:
                return None
            replay(schema, plan)
            now = applied_migrations(schema) & code_migrations()
            marker = "" if AFTER_DUMP in template.dump else f"\n{AFTER_DUMP}\n"
            template.dump = f"{template.dump}{marker}{replay_script(schema, plan)}\n"
            template.fingerprint = fingerprint(now)
            template.migrations = len(now)
            template.save(update_fields=["dump", "fingerprint", "migrations"])
        return plan
    finally:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [TEMPLATE_LOCK])


def pool_fast_forward(plan: Plan) -> int:
    """Replay the template's plan into the pool's ready schemas made from its old dump.

    They are copies of the template as it was, so the same SQL brings them to where the
    template is now, in milliseconds each, where dropping and restoring them from the new
    dump costs a full replay of the template each. Entries being taken by a provisioning
    right now are skipped (SKIP LOCKED) and, if still there, replaced by ``pool_fill``.
    Returns how many were brought forward.
    """
    connection.set_schema_to_public()
    old = fingerprint(plan.applied)
    new = SchemaTemplate.objects.only("fingerprint").first()
    if new is None or new.fingerprint == old:
        return 0
    done = 0
    names = list(
        SchemaPoolEntry.objects.filter(fingerprint=old).values_list("schema_name", flat=True)
    )
    for name in names:
        with transaction.atomic():
            entry = (
                SchemaPoolEntry.objects.select_for_update(skip_locked=True)
                .filter(schema_name=name, fingerprint=old)
                .first()
            )
            if entry is None:
                continue
            replay(name, plan)
            SchemaPoolEntry.objects.filter(pk=entry.pk).update(fingerprint=new.fingerprint)
        done += 1
    return done


# The plans of the current run, by applied set (forked workers inherit them).
_PLANS: dict[frozenset[Key], Plan] = {}


def migrate_one(schema: str, applied: frozenset[Key]) -> tuple[str, float, str | None, bool]:
    """(schema, seconds, error or None, replayed?) for one schema of the current run."""
    started = time.monotonic()
    plan = _PLANS.get(applied)
    replayed = False
    try:
        if plan is not None and plan.script is not None:
            try:
                replay(schema, plan, record=True)
                replayed = True
            except Exception:
                # Its catalog may differ from the group's: let Django do it properly.
                connection.set_schema_to_public()
                migrate_with_executor(schema)
        else:
            migrate_with_executor(schema)
        if not replayed:
            record_states({schema: applied_migrations(schema) & code_migrations()})
    except Exception as error:  # reported per schema; the others carry on
        connection.set_schema_to_public()
        _record_after_failure(schema)
        return schema, time.monotonic() - started, _describe(error), False
    return schema, time.monotonic() - started, None, replayed


def _record_after_failure(schema: str) -> None:
    """Record what a failed schema has: the executor may have applied part of its plan.

    A replay that failed changed nothing (one transaction), so its record stays as it
    was; Django's executor commits migration by migration. If even this fails, the
    record is dropped and the next run reads the schema itself.
    """
    try:
        record_states({schema: applied_migrations(schema) & code_migrations()})
    except Exception:
        connection.set_schema_to_public()
        with contextlib.suppress(Exception):
            forget_states([schema])


def _migrate_in_worker(task: tuple[str, frozenset[Key]]) -> tuple[str, float, str | None, bool]:
    return migrate_one(*task)


def _worker_init() -> None:
    # The fork inherited the parent's (closed) connection objects; start clean.
    for conn in connections.all(initialized_only=True):
        conn.connection = None


def migrate_tenants(
    *,
    jobs: int = 2,
    only: list[str] | None = None,
    check_every_schema: bool = False,
    progress: Callable[[str], None] = print,
) -> MigrationReport:
    """Migrate public, refresh the template, then every institution behind head.

    Which institutions are behind comes from their records in public (one query for
    all); only schemas without a valid record are read one by one, unless
    ``check_every_schema`` (for a schema changed behind the command's back).
    """
    started = time.monotonic()
    report = MigrationReport()
    if public_at_head():
        progress("the public schema is at head")
    elif recorded := public_fast_forward():
        progress(
            f"the public schema: {len(recorded)} institution app migration(s) recorded "
            "(nothing of theirs runs there)"
        )
    else:
        progress("migrating the public schema")
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    progress("bringing the institution template to head")
    forwarded = template_fast_forward()
    if forwarded is not None:
        progress("template migrated by replaying the collected SQL (no new pg_dump)")
        pooled = pool_fast_forward(forwarded)
        progress(f"{pooled} ready schema(s) of the pool migrated the same way")
    template_refresh()
    added = pool_fill()
    progress(f"pool of ready schemas topped up ({added} added)")

    connection.set_schema_to_public()
    schemas = list(Tenant.objects.order_by("schema_name").values_list("schema_name", flat=True))
    if only:
        schemas = [schema for schema in schemas if schema in set(only)]
    report.total = len(schemas)
    _store_sets([code_migrations()])  # the set every replay's record points at
    _prune_records()
    behind = schema_states(schemas, records=True, trust=not check_every_schema)
    report.skipped = report.total - len(behind)
    _PLANS.clear()
    _PLANS.update(make_plans(behind))
    replayable = sum(1 for applied in behind.values() if _PLANS[applied].script is not None)
    progress(
        f"{report.total} institution(s): {report.skipped} already at head, "
        f"{len(behind)} to migrate ({replayable} by replaying the collected SQL) with "
        f"{min(jobs, max(len(behind), 1))} job(s)"
    )

    def record(result: tuple[str, float, str | None, bool], done: int) -> None:
        schema, seconds, error, replayed = result
        if error is None:
            report.migrated.append(schema)
            report.replayed += replayed
            progress(
                f"[{done}/{len(behind)}] {schema} migrated in {seconds * 1000:.0f} ms"
                f" ({len(report.failed)} failed so far)"
            )
        else:
            report.failed[schema] = error
            progress(
                f"[{done}/{len(behind)}] {schema} FAILED after {seconds * 1000:.0f} ms: "
                f"{error.splitlines()[0]}"
            )

    tasks = sorted(behind.items())
    if tasks and jobs > 1:
        _executor()  # loaded before the fork: every worker inherits it
        connections.close_all()  # never share a socket with the forked workers
        context = multiprocessing.get_context("fork")
        processes = min(jobs, len(tasks))
        chunk = max(1, min(64, len(tasks) // (processes * 8)))
        with context.Pool(processes=processes, initializer=_worker_init) as pool:
            results = pool.imap_unordered(_migrate_in_worker, tasks, chunksize=chunk)
            for done, result in enumerate(results, 1):
                record(result, done)
    else:
        for done, task in enumerate(tasks, 1):
            record(migrate_one(*task), done)
    connection.set_schema_to_public()
    report.seconds = time.monotonic() - started
    return report
