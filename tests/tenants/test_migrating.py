"""migrate_tenants: every schema to head, failures isolated, re-runnable, skipping fast."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

from shared_apps.audit.services import Actor
from tenants.migrating import (
    changes_models,
    forget_states,
    is_replayable,
    migrate_tenants,
    record_states,
    recorded_states,
    schemas_behind,
)
from tenants.models import SchemaMigrationState, SchemaPoolEntry, SchemaTemplate, Tenant
from tenants.provisioning import pool_fill, template_refresh, template_schema
from tenants.schemas import (
    AFTER_DUMP,
    applied_migrations,
    code_migrations,
    dump_schema_text,
    fingerprint,
    schema_catalog,
)
from tenants.services import tenant_create, tenant_delete, tenant_purge

ROOT = Path(__file__).resolve().parents[2]


def _make_behind(schema: str, *, fixable: bool) -> None:
    """Forget the institution app's migrations; drop its table too if ``fixable``.

    Re-applying then either re-creates the table (fixable) or fails because the
    table is still there (a stand-in for any migration that breaks on one tenant).
    Its record in public goes too: a schema is normally behind because the code gained
    a migration (a new head no record holds); here the schema moves back instead.
    """
    forget_states([schema])
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {schema}.django_migrations "  # noqa: S608 (a test's own schema)
            "WHERE app = 'institution'"
        )
        if fixable:
            cursor.execute(
                f"DROP TABLE {schema}.institution_institutionprofile, "
                f"{schema}.institution_adminaction"
            )


@pytest.mark.django_db
def test_an_institution_at_head_is_skipped_and_one_behind_is_migrated(world):
    _make_behind(world.tenant_b.schema_name, fixable=True)
    assert schemas_behind([world.tenant_a.schema_name, world.tenant_b.schema_name]) == [
        world.tenant_b.schema_name
    ]
    lines: list[str] = []
    report = migrate_tenants(jobs=1, progress=lines.append)
    assert report.ok, report.failed
    assert report.migrated == [world.tenant_b.schema_name]
    assert report.skipped == report.total - 1
    assert applied_migrations(world.tenant_b.schema_name) == code_migrations()
    assert any("[1/1] t_beta migrated" in line for line in lines)
    with schema_context(world.tenant_b.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM institution_institutionprofile")


@pytest.mark.django_db
def test_a_failing_institution_is_reported_and_the_others_still_migrate(world):
    _make_behind(world.tenant_a.schema_name, fixable=False)
    _make_behind(world.tenant_b.schema_name, fixable=True)
    report = migrate_tenants(jobs=1, progress=lambda line: None)
    assert list(report.failed) == [world.tenant_a.schema_name]
    assert "already exists" in report.failed[world.tenant_a.schema_name]
    assert report.migrated == [world.tenant_b.schema_name]


def _forget_app(schema: str, app: str, tables: list[str]) -> None:
    """Take one app out of a schema (its tables, its migration rows and its record)."""
    forget_states([schema])
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {schema}.django_migrations WHERE app = %s",  # noqa: S608
            [app],
        )
        cursor.execute("DROP TABLE " + ", ".join(f"{schema}.{table}" for table in tables))


def _tables_of(schema: str, prefix: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename LIKE %s",
            [schema, prefix + "%"],
        )
        return [row[0] for row in cursor.fetchall()]


def _content_types_and_permissions(schema: str, app: str) -> tuple[set, set]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT model FROM {schema}.django_content_type WHERE app_label = %s",  # noqa: S608
            [app],
        )
        types = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            f"SELECT p.codename FROM {schema}.auth_permission p "  # noqa: S608
            f"JOIN {schema}.django_content_type t ON t.id = p.content_type_id "
            "WHERE t.app_label = %s",
            [app],
        )
        return types, {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
def test_a_replayed_migration_leaves_every_schema_equal_to_the_template(world):
    schemas = [world.tenant_a.schema_name, world.tenant_b.schema_name]
    template = schema_catalog(template_schema())
    assert schema_catalog(schemas[0]) == template  # the comparison starts from equality
    tables = _tables_of(schemas[0], "institution_")
    assert len(tables) >= 2
    made = _content_types_and_permissions(template_schema(), "institution")
    assert made[0] and made[1]
    for schema in schemas:
        _forget_app(schema, "institution", tables)
        with connection.cursor() as cursor:  # as if the app were new: no content types yet
            cursor.execute(
                f"DELETE FROM {schema}.auth_permission WHERE content_type_id IN "  # noqa: S608
                f"(SELECT id FROM {schema}.django_content_type WHERE app_label = 'institution')"
            )
            cursor.execute(
                f"DELETE FROM {schema}.django_content_type WHERE app_label = 'institution'"  # noqa: S608
            )
    assert schema_catalog(schemas[0]) != template  # and it sees the difference

    lines: list[str] = []
    report = migrate_tenants(jobs=1, progress=lines.append)

    assert report.ok, report.failed
    assert sorted(report.migrated) == schemas
    assert report.replayed == 2  # CreateModel/AddField only: the collected SQL, replayed
    assert any("2 to migrate (2 by replaying" in line for line in lines)
    for schema in schemas:
        assert schema_catalog(schema) == template, schema
        assert applied_migrations(schema) == code_migrations()
        # The post-migrate signal, sent to the changed app only, made its rows again.
        assert _content_types_and_permissions(schema, "institution") == made
    # The tables work (and the institution's admin can still use them).
    with schema_context(schemas[1]), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM institution_institutionprofile")


@pytest.mark.django_db
def test_a_migration_with_python_code_runs_through_the_executor_and_matches_too(world):
    schema = world.tenant_b.schema_name
    template = schema_catalog(template_schema())
    _forget_app(schema, "directory", _tables_of(schema, "directory_"))

    report = migrate_tenants(jobs=1, progress=lambda line: None)

    assert report.ok, report.failed
    assert report.migrated == [schema]
    assert report.replayed == 0  # directory.0002 runs Python: not replayable
    assert schema_catalog(schema) == template


def _replayable_leaf() -> tuple[str, str, tuple[str, str]]:
    """A tenant app's latest migration that replays and changes the catalog.

    Chosen from the code, not named: which app's leaf qualifies moves as migrations
    are added. Returns (app, leaf name, the node to migrate back to).
    """
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    tenant_labels = {
        config.label for config in apps.get_app_configs() if config.name in settings.TENANT_APPS
    }
    for app, name in sorted(loader.graph.leaf_nodes()):
        if app not in tenant_labels:
            continue
        migration = loader.graph.nodes[(app, name)]
        parents = [key for key in loader.graph.node_map[(app, name)].parents if key[0] == app]
        if (
            parents
            and is_replayable([migration])
            # A new model is not fast-forwarded (post-migrate rows): only a column will do.
            and not changes_models([migration])
            and any(type(op).__name__ in {"AddField", "CreateModel"} for op in migration.operations)
        ):
            return app, name, parents[0]
    pytest.fail("no tenant app ends with a replayable AddField/CreateModel migration")


def _unapply(schema: str, target: tuple[str, str]) -> None:
    """Migrate one schema back to ``target`` with Django's own executor."""
    from django.db.migrations.executor import MigrationExecutor

    connection.set_schema(schema, include_public=False)
    try:
        executor = MigrationExecutor(connection)
        executor.migrate([target])
    finally:
        connection.set_schema_to_public()


@pytest.fixture
def template_one_migration_behind(django_db_setup, django_db_blocker):
    """The template one migration behind, stored as such (committed: pg_dump sees it).

    As after a deploy whose code brings a migration adding a column or a table. Afterwards
    the template is dumped afresh, whatever the test left.
    """
    schema = template_schema()
    with django_db_blocker.unblock():
        head = schema_catalog(schema)
        _app, _leaf, parent = _replayable_leaf()
        _unapply(schema, parent)
        assert schema_catalog(schema) != head  # the template really is behind
        SchemaTemplate.objects.all().delete()
        behind = applied_migrations(schema) & code_migrations()
        SchemaTemplate.objects.create(
            fingerprint=fingerprint(behind), migrations=len(behind), dump=dump_schema_text(schema)
        )
        yield head
        connection.set_schema_to_public()
        for tenant in Tenant.objects.filter(slug="after-replay"):
            tenant_delete(tenant=tenant, actor=Actor.system("test"))
            tenant_purge(tenant=tenant, actor=Actor.system("test"), force=True)
        SchemaTemplate.objects.all().delete()
        template_refresh()


def _drain_pool() -> None:
    for entry in SchemaPoolEntry.objects.all():
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA "{entry.schema_name}" CASCADE')
        entry.delete()


def test_the_template_is_migrated_by_replay_and_new_institutions_match_it(
    template_one_migration_behind,
):
    head = template_one_migration_behind
    _drain_pool()
    pool_fill(size=2)  # ready schemas made from the old dump
    behind = SchemaTemplate.objects.get().fingerprint
    pooled = set(SchemaPoolEntry.objects.values_list("schema_name", flat=True))
    assert len(pooled) == 2
    assert schema_catalog(sorted(pooled)[0]) != head

    lines: list[str] = []
    report = migrate_tenants(jobs=1, progress=lines.append)
    assert report.ok, report.failed
    assert any("template migrated by replaying" in line for line in lines)
    assert schema_catalog(template_schema()) == head
    # The pool's schemas were brought forward in place, not dropped and made again.
    assert any("2 ready schema(s) of the pool migrated" in line for line in lines)
    assert not SchemaPoolEntry.objects.filter(fingerprint=behind).exists()
    for name in pooled:
        assert SchemaPoolEntry.objects.get(schema_name=name).fingerprint == fingerprint(
            code_migrations()
        )
        assert schema_catalog(name) == head, name
    stored = SchemaTemplate.objects.get()
    assert stored.fingerprint == fingerprint(code_migrations())
    assert AFTER_DUMP in stored.dump  # no new pg_dump: the SQL was appended to the old one

    _drain_pool()  # provision by replaying the dump itself
    tenant = tenant_create(slug="after-replay", name="After Replay")
    assert schema_catalog(tenant.schema_name) == head
    assert connection.schema_name == "public"
    with schema_context(tenant.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT name FROM institution_institutionprofile")
        assert cursor.fetchone()[0] == "After Replay"


@pytest.fixture
def committed_tenants(django_db_setup, django_db_blocker):
    """Two institutions really committed, for the command run in another process.

    The test runs inside this fixture's unblocked, autocommit connection.
    """
    with django_db_blocker.unblock():
        tenants = [tenant_create(slug=slug, name=slug.title()) for slug in ("mig-ok", "mig-bad")]
        yield tenants
        connection.set_schema_to_public()
        for tenant in Tenant.objects.filter(slug__in=["mig-ok", "mig-bad"]):
            tenant_delete(tenant=tenant, actor=Actor.system("test"))
            tenant_purge(tenant=tenant, actor=Actor.system("test"), force=True)


def _command(*args: str) -> subprocess.CompletedProcess:
    settings_dict = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:"
            f"{settings_dict['PORT']}/{settings_dict['NAME']}"
        ),
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate_tenants", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_command_migrates_in_parallel_isolates_failures_and_resumes(committed_tenants):
    ok, bad = committed_tenants
    _make_behind(ok.schema_name, fixable=True)
    _make_behind(bad.schema_name, fixable=False)

    first = _command("--jobs", "2")
    assert first.returncode == 1
    assert "t_mig_ok migrated" in first.stdout
    assert "t_mig_bad FAILED" in first.stdout
    assert "1 failed" in first.stdout
    assert "run migrate_tenants again to resume" in first.stderr

    with connection.cursor() as cursor:  # the operator fixes the cause
        cursor.execute(
            f"DROP TABLE {bad.schema_name}.institution_institutionprofile, "
            f"{bad.schema_name}.institution_adminaction"
        )
    second = _command("--jobs", "2")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "t_mig_bad migrated" in second.stdout
    assert "t_mig_ok" not in second.stdout  # already at head: skipped
    assert "0 failed" in second.stdout
    # Both now recorded at head in public: a third run reads neither schema.
    assert recorded_states([ok.schema_name, bad.schema_name]) == {
        ok.schema_name: code_migrations(),
        bad.schema_name: code_migrations(),
    }


# --- the records in public: a run with nothing to do reads no institution schema -----------
def _head_record(schema: str) -> bool:
    return recorded_states([schema]).get(schema) == code_migrations()


def _reads_of_schemas(queries: list[dict], schemas: list[str]) -> list[str]:
    """The captured statements that read one of ``schemas``' own django_migrations."""
    return [
        query["sql"]
        for query in queries
        for schema in schemas
        if f'"{schema}".django_migrations' in query["sql"]
        or f"{schema}.django_migrations" in query["sql"]
    ]


@pytest.mark.django_db
def test_a_run_with_nothing_to_do_reads_the_records_and_no_schema(
    world, django_assert_max_num_queries
):
    from django.test.utils import CaptureQueriesContext

    schemas = [world.tenant_a.schema_name, world.tenant_b.schema_name]
    forget_states(schemas)  # unknown: the first run reads each schema, then records it
    with CaptureQueriesContext(connection) as first:
        report = migrate_tenants(jobs=1, progress=lambda line: None)
    assert report.ok and report.migrated == []
    assert _reads_of_schemas(first.captured_queries, schemas)
    assert all(_head_record(schema) for schema in schemas)

    # The second run: a handful of queries in all, none in an institution's schema.
    with (
        CaptureQueriesContext(connection) as second,
        django_assert_max_num_queries(25),
    ):
        report = migrate_tenants(jobs=1, progress=lambda line: None)
    assert report.ok and report.migrated == [] and report.skipped == report.total
    assert _reads_of_schemas(second.captured_queries, schemas) == []


@pytest.mark.django_db
def test_a_missing_or_stale_record_sends_the_run_to_the_schema_itself(world):
    a, b = world.tenant_a.schema_name, world.tenant_b.schema_name
    _make_behind(a, fixable=True)  # no record at all
    _make_behind(b, fixable=True)
    # b's record claims head, but for another object of that name (a schema dropped and
    # made again has another oid): it does not count.
    record_states({b: code_migrations()})
    SchemaMigrationState.objects.filter(schema_name=b).update(namespace=0)
    assert recorded_states([a, b]) == {}

    report = migrate_tenants(jobs=1, progress=lambda line: None)

    assert report.ok, report.failed
    assert sorted(report.migrated) == [a, b]
    for schema in (a, b):
        assert applied_migrations(schema) == code_migrations()
        assert _head_record(schema)  # written with the migration


@pytest.mark.django_db
def test_a_record_behind_head_is_planned_from_the_record(world):
    """A schema recorded at an older set (the usual case after a deploy) migrates from it."""
    schema = world.tenant_b.schema_name
    tables = _tables_of(schema, "institution_")
    _forget_app(schema, "institution", tables)
    behind = applied_migrations(schema)
    record_states({schema: behind})
    assert recorded_states([schema]) == {schema: behind & code_migrations()}

    report = migrate_tenants(jobs=1, progress=lambda line: None)

    assert report.ok, report.failed
    assert report.migrated == [schema] and report.replayed == 1
    assert schema_catalog(schema) == schema_catalog(template_schema())
    assert _head_record(schema)


@pytest.mark.django_db
def test_a_record_claiming_head_is_trusted_until_every_schema_is_checked(world):
    """A schema changed by hand behind a head record: skipped, unless --check-every-schema."""
    schema = world.tenant_b.schema_name
    _make_behind(schema, fixable=True)
    record_states({schema: code_migrations()})  # the record now lies

    report = migrate_tenants(jobs=1, progress=lambda line: None)
    assert report.migrated == []  # one query for every institution: the lie is believed

    report = migrate_tenants(jobs=1, check_every_schema=True, progress=lambda line: None)
    assert report.ok and report.migrated == [schema]
    assert applied_migrations(schema) == code_migrations()


@pytest.mark.django_db
def test_a_failing_schema_keeps_its_old_record_and_the_next_run_retries_it(world):
    bad, good = world.tenant_a.schema_name, world.tenant_b.schema_name
    _make_behind(bad, fixable=False)
    _make_behind(good, fixable=True)
    old = applied_migrations(bad)
    record_states({bad: old, good: applied_migrations(good)})

    report = migrate_tenants(jobs=1, progress=lambda line: None)

    assert list(report.failed) == [bad] and report.migrated == [good]
    assert recorded_states([bad]) == {bad: old & code_migrations()}  # not head
    assert _head_record(good)

    with connection.cursor() as cursor:  # the operator fixes the cause; the run resumes
        cursor.execute(
            f"DROP TABLE {bad}.institution_institutionprofile, {bad}.institution_adminaction"
        )
    report = migrate_tenants(jobs=1, progress=lambda line: None)
    assert report.ok and report.migrated == [bad]
    assert _head_record(bad)


def _leaf_without_model_changes(*, shared: bool) -> tuple[str, str]:
    """The latest migration of a shared app, or of an institution-only app, that adds
    or changes no model (chosen from the code: which one qualifies moves over time)."""
    from django.db.migrations.loader import MigrationLoader

    from tenants.migrating import MODEL_CHANGES

    loader = MigrationLoader(None, ignore_no_migrations=True)
    labels = {
        config.label: config.name in settings.SHARED_APPS for config in apps.get_app_configs()
    }
    for key in sorted(loader.graph.leaf_nodes()):
        migration = loader.graph.nodes[key]
        if labels.get(key[0]) is shared and not any(
            isinstance(operation, MODEL_CHANGES) for operation in migration.operations
        ):
            return key
    pytest.fail("no leaf migration qualifies")


@pytest.mark.django_db
def test_public_records_institution_apps_migrations_without_running_migrate(
    world, django_assert_max_num_queries
):
    from tenants.migrating import public_at_head, public_fast_forward

    def forget_in_public(key: tuple[str, str]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM public.django_migrations WHERE app = %s AND name = %s", list(key)
            )

    institution_only = _leaf_without_model_changes(shared=False)
    forget_in_public(institution_only)
    assert not public_at_head()
    with django_assert_max_num_queries(6):
        assert public_fast_forward() == [institution_only]
    assert public_at_head()
    assert public_fast_forward() is None  # nothing left to record

    # A shared app's migration runs in public: that is Django's migrate's job.
    forget_in_public(_leaf_without_model_changes(shared=True))
    forget_in_public(institution_only)
    assert public_fast_forward() is None
    assert not public_at_head()
