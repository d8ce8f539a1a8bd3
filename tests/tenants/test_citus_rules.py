"""The rules Citus's schema-based sharding imposes, checked against this schema.

Citus cannot be installed here, so these tests check what `citus_schema_distribute`
and `citus_schema_move` need, on the real catalog (the template every institution is
cloned from, another institution, the public schema) and on the code's migrations:

- an institution's tables reference only their own schema, or public tables (which
  become reference tables): no foreign key, view or default into another institution;
- public tables never reference an institution's table (a reference table cannot
  point at a distributed one);
- every table has a primary key (shard moves replicate rows logically; updates and
  deletes need a replica identity);
- no DDL that Citus does not distribute: rules, inheritance, partitioning,
  exclusion constraints, unlogged tables, tablespaces - in the catalog or in any
  migration's raw SQL (the search triggers are row-local: Citus runs them on the
  schema's node with ``citus.enable_unsafe_triggers``, see README);
- no request's SQL names an institution's schema: every query reaches a single schema
  through the search path (README: "Beyond one database server").
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.db.migrations import operations as ops
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext

from tenants.provisioning import template_schema
from tests.conftest import sign_in

SYSTEM = ("pg_catalog", "information_schema", "pg_toast")
# Integer (not bigint) identity columns: Citus makes node-local sequences only for
# bigint, so inserts into these go through the coordinator. They are Django's own
# apps' tables; anything of ours uses BigAutoField (DEFAULT_AUTO_FIELD).
INTEGER_KEYS_OF_DJANGO = {
    "auth_group",
    "auth_group_permissions",
    "auth_permission",
    "django_content_type",
    "django_migrations",
    # django-otp's own migrations (two-factor devices): a few rows per person.
    "otp_static_staticdevice",
    "otp_static_statictoken",
    "otp_totp_totpdevice",
}


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _institution_schemas(world) -> list[str]:
    return [template_schema(), world.tenant_a.schema_name]


@pytest.mark.django_db
def test_an_institutions_foreign_keys_stay_in_its_schema_or_public(world):
    for schema in _institution_schemas(world):
        outside = _rows(
            "SELECT con.conname, tn.nspname FROM pg_constraint con "
            "JOIN pg_class t ON t.oid = con.confrelid "
            "JOIN pg_namespace tn ON tn.oid = t.relnamespace "
            "JOIN pg_namespace n ON n.oid = con.connamespace "
            "WHERE con.contype = 'f' AND n.nspname = %s AND tn.nspname NOT IN (%s, 'public')",
            [schema, schema],
        )
        assert outside == [], schema
        count = _rows(
            "SELECT count(*) FROM pg_constraint con "
            "JOIN pg_namespace n ON n.oid = con.connamespace "
            "WHERE con.contype = 'f' AND n.nspname = %s",
            [schema],
        )[0][0]
        assert count > 10  # the check looked at real foreign keys


@pytest.mark.django_db
def test_no_object_of_an_institution_depends_on_another_schema(world):
    # Views, defaults, sequences, indexes...: pg_depend records every reference.
    for schema in _institution_schemas(world):
        crossing = _rows(
            "SELECT DISTINCT c.relname, rn.nspname FROM pg_depend d "
            "JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_class r ON d.refclassid = 'pg_class'::regclass AND r.oid = d.refobjid "
            "JOIN pg_namespace rn ON rn.oid = r.relnamespace "
            "WHERE n.nspname = %s AND rn.nspname NOT IN (%s, 'public') "
            "AND rn.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')",
            [schema, schema],
        )
        assert crossing == [], schema


@pytest.mark.django_db
def test_public_tables_can_be_reference_tables():
    pointing_out = _rows(
        "SELECT con.conname, tn.nspname FROM pg_constraint con "
        "JOIN pg_class t ON t.oid = con.confrelid "
        "JOIN pg_namespace tn ON tn.oid = t.relnamespace "
        "JOIN pg_namespace n ON n.oid = con.connamespace "
        "WHERE con.contype = 'f' AND n.nspname = 'public' AND tn.nspname <> 'public'",
        [],
    )
    assert pointing_out == []


@pytest.mark.django_db
def test_every_table_has_a_primary_key(world):
    for schema in ["public", *_institution_schemas(world)]:
        tables = _rows(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p')",
            [schema],
        )
        assert len(tables) > 5
        without = _rows(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND NOT EXISTS ("
            "  SELECT 1 FROM pg_constraint con WHERE con.conrelid = c.oid AND con.contype = 'p')",
            [schema],
        )
        assert without == [], schema


@pytest.mark.django_db
def test_generated_keys_are_bigint_except_djangos_own(world):
    integer_keys = _rows(
        "SELECT DISTINCT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND a.attidentity <> '' AND a.atttypid <> 'int8'::regtype",
        [world.tenant_a.schema_name],
    )
    assert {name for (name,) in integer_keys} <= INTEGER_KEYS_OF_DJANGO


@pytest.mark.django_db
def test_no_ddl_citus_cannot_distribute_is_in_the_catalog(world):
    for schema in ["public", *_institution_schemas(world)]:
        checks = {
            "rules": "SELECT r.rulename FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND r.rulename <> '_RETURN'",
            "inheritance": "SELECT c.relname FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s",
            "partitioned, unlogged or in a tablespace": "SELECT c.relname FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s "
            "AND (c.relkind = 'p' OR c.relpersistence = 'u' OR c.reltablespace <> 0)",
            "exclusion constraints": "SELECT con.conname FROM pg_constraint con "
            "JOIN pg_namespace n ON n.oid = con.connamespace "
            "WHERE n.nspname = %s AND con.contype = 'x'",
            "materialized views": "SELECT c.relname FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'm'",
        }
        for what, sql in checks.items():
            assert _rows(sql, [schema]) == [], f"{what} in {schema}"


UNSUPPORTED_SQL = re.compile(
    r"\b(CREATE\s+(OR\s+REPLACE\s+)?RULE|INHERITS|PARTITION\s+(BY|OF)|EXCLUDE\s+USING"
    r"|UNLOGGED|TABLESPACE|MATERIALIZED\s+VIEW|LISTEN|NOTIFY|t_[a-z0-9_]+\.)",
    re.IGNORECASE,
)


def _sql_of(operation) -> list[str]:
    sql = operation.sql if isinstance(operation.sql, list | tuple) else [operation.sql]
    return [item if isinstance(item, str) else item[0] for item in sql]


def test_no_migration_runs_ddl_citus_cannot_distribute():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    raw_sql = 0
    for (app, name), migration in loader.graph.nodes.items():
        for operation in migration.operations:
            if isinstance(operation, ops.RunSQL):
                for statement in _sql_of(operation):
                    raw_sql += 1
                    found = UNSUPPORTED_SQL.search(statement)
                    assert found is None, f"{app}.{name}: {found.group(0)!r}"
            if isinstance(operation, ops.AddConstraint):
                kind = type(operation.constraint).__name__
                assert kind != "ExclusionConstraint", f"{app}.{name}"
    assert loader.graph.nodes  # it looked at the real migrations


@pytest.mark.django_db
def test_requests_reach_one_schema_through_the_search_path(world, client):
    # A page and API calls of one institution: no statement names a schema.
    client = sign_in(client, world.alice, world.tenant_a)
    host = world.host_a
    with CaptureQueriesContext(connection) as queries:
        for path in ("/", "/people/", "/api/v1/institution", "/api/v1/people/", "/api/v1/content/"):
            assert client.get(path, HTTP_HOST=host).status_code == 200, path
    statements = [query["sql"] for query in queries.captured_queries]
    assert len(statements) > 10
    for sql in statements:
        for schema in (world.tenant_a.schema_name, world.tenant_b.schema_name):
            assert f'"{schema}".' not in sql and f"{schema}." not in sql, sql
