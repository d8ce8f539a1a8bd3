"""Whole-schema operations: dump a schema with pg_dump, replay a dump under another name,
and compare a schema's applied migrations with the code's.

A dump is pg_dump's plain format (DDL plus COPY blocks). Replaying it renames the
schema in the DDL and in each COPY header only - row data passes through untouched,
so nothing a user wrote can be rewritten or interpreted as SQL. The replay streams:
COPY data goes from the file to the server line by line, never whole in memory.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import schema_exists

SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class SchemaDumpError(RuntimeError):
    """pg_dump failed, or a dump could not be replayed."""


def _check_name(schema: str) -> None:
    if not SCHEMA_NAME.match(schema) or schema.startswith("pg_") or schema == "public":
        raise ValueError(f"{schema!r} is not a schema name this platform uses")


@cache
def pg_dump_path() -> str:
    configured = getattr(settings, "PG_DUMP_PATH", "")
    if configured:
        return configured
    found = shutil.which("pg_dump")
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"), reverse=True):
        return str(candidate)
    raise SchemaDumpError(
        "pg_dump is not installed (Debian: postgresql-client); set PG_DUMP_PATH to its location."
    )


def _pg_env() -> dict[str, str]:
    database = settings.DATABASES["default"]
    env = {**os.environ, "PGDATABASE": database["NAME"]}
    for key, var in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if database.get(key):
            env[var] = str(database[key])
    if database.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = database["OPTIONS"]["sslmode"]
    # pg_dump 15 finds materialized-view dependencies with a recursive query over the
    # whole pg_depend that the planner runs as nested loops: 170 s of a 180 s dump of
    # one schema among 1,500; hash joins make the whole dump take 16 s. (PostgreSQL 16
    # rewrote the query.)
    env["PGOPTIONS"] = " ".join(filter(None, [env.get("PGOPTIONS"), "-c enable_nestloop=off"]))
    return env


def dump_schema(schema: str, out: IO[bytes]) -> None:
    """Write pg_dump's plain-format dump of ``schema`` (structure and rows) to ``out``."""
    _check_name(schema)
    if not schema_exists(schema):
        raise SchemaDumpError(f"schema {schema} does not exist")
    result = subprocess.run(
        [
            pg_dump_path(),
            "--schema",
            schema,
            "--no-owner",
            "--no-privileges",
            "--no-comments",
            "--encoding=UTF8",
        ],
        env=_pg_env(),
        stdout=out,
        stderr=subprocess.PIPE,
        check=False,
    )
    if result.returncode != 0:
        raise SchemaDumpError(f"pg_dump of {schema} failed: {result.stderr.decode()[-500:]}")


def dump_schema_text(schema: str) -> str:
    import tempfile

    with tempfile.TemporaryFile() as handle:
        dump_schema(schema, handle)
        handle.seek(0)
        return handle.read().decode("utf-8")


# --- replay -------------------------------------------------------------------
_SKIP_PREFIXES = ("--", "SET ", "SELECT pg_catalog.set_config(", "\\")
_DUMP_COMPLETE = "-- PostgreSQL database dump complete"
# Marks SQL appended to a template's dump: migrations replayed into the template since
# pg_dump made it, so that a migration costs no new pg_dump (slow with a large catalog).
AFTER_DUMP = "-- oae: migrations replayed after the dump"
_COPY_HEADER = re.compile(r"^COPY (\S+) \((.*)\) FROM stdin;$")


class _CopyData:
    """A file-like view of one COPY block's rows, ending at the ``\\.`` line."""

    def __init__(self, lines: Iterator[str]):
        self._lines = lines
        self._buffer = ""
        self._done = False

    def _fill(self) -> None:
        for line in self._lines:
            if line in ("\\.\n", "\\."):
                self._done = True
                return
            self._buffer += line
            return
        raise SchemaDumpError("the dump ends inside a COPY block (truncated?)")

    def read(self, size: int = -1) -> str:
        while not self._done and (size < 0 or len(self._buffer) < size):
            self._fill()
        if size < 0:
            size = len(self._buffer)
        chunk, self._buffer = self._buffer[:size], self._buffer[size:]
        return chunk

    def readline(self, size: int = -1) -> str:
        if not self._buffer and not self._done:
            self._fill()
        line, sep, rest = self._buffer.partition("\n")
        self._buffer = rest
        return line + sep

    def drain(self) -> None:
        while not self._done:
            self._fill()
        self._buffer = ""


def _rename(sql: str, source: str, target: str) -> str:
    return re.sub(rf'(?<![\w$"]){re.escape(source)}(?![\w$"])', target, sql).replace(
        f'"{source}"', f'"{target}"'
    )


def restore_schema(lines: Iterable[str], *, source: str, target: str, on_table=None) -> int:
    """Replay a dump of ``source`` as the new schema ``target``, in the current transaction.

    Returns the number of rows copied. ``on_table(name, rows)`` is called after each
    table's rows are in (for progress reports). Raises SchemaDumpError on a dump that
    is not pg_dump's output for ``source``.
    """
    _check_name(source)
    _check_name(target)
    try:
        return _restore(iter(lines), source, target, on_table)
    except DatabaseError as error:
        raise SchemaDumpError(f"the dump could not be replayed: {error}".strip()) from error


def _restore(iterator: Iterator[str], source: str, target: str, on_table) -> int:
    statement: list[str] = []  # the lines of the statement being read
    batch: list[str] = []  # complete statements, sent in one round trip
    saw_schema = False
    complete = False
    rows_total = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg2's own cursor, for COPY

        def end_statement() -> None:
            nonlocal saw_schema
            sql = "".join(statement).strip()
            statement.clear()
            if not saw_schema:
                if sql != f"CREATE SCHEMA {source};":
                    raise SchemaDumpError(f"this is not a dump of the schema {source}")
                saw_schema = True
            batch.append(sql)

        def send_batch() -> None:
            if batch:
                cursor.execute(_rename("\n".join(batch), source, target))
                batch.clear()

        after_dump = ""
        for line in iterator:
            if line.startswith(AFTER_DUMP) and complete and not statement:
                after_dump = "".join(iterator)
                break
            if line.startswith(_DUMP_COMPLETE):
                complete = True
            if not statement and (line.startswith(_SKIP_PREFIXES) or not line.strip()):
                continue
            header = _COPY_HEADER.match(line.rstrip("\n"))
            if header and not statement:
                table = header.group(1)
                if not table.startswith(f"{source}."):
                    raise SchemaDumpError(f"the dump copies into {table}, outside {source}")
                first = next(iterator, None)
                if first is None:
                    raise SchemaDumpError("the dump ends inside a COPY block (truncated?)")
                if first.rstrip("\n") == "\\.":
                    continue  # an empty table: nothing to send
                send_batch()  # the table must exist before its rows arrive
                data = _CopyData(itertools.chain([first], iterator))
                raw.copy_expert(_rename(line.rstrip("\n"), source, target), data)
                data.drain()
                copied = max(raw.rowcount, 0)
                rows_total += copied
                if on_table:
                    on_table(table.split(".", 1)[1], copied)
                continue
            statement.append(line)
            if line.rstrip().endswith(";"):
                end_statement()
        if statement:
            raise SchemaDumpError("the dump ends inside a statement (truncated?)")
        if not saw_schema:
            raise SchemaDumpError(f"this is not a dump of the schema {source}")
        if not complete:
            raise SchemaDumpError("the dump is incomplete (truncated?)")
        send_batch()
        if after_dump:
            # Migrations replayed into the template since its pg_dump (see
            # tenants.migrating): schema-relative SQL, run under the new schema's path
            # for this statement's implicit transaction only... which SET LOCAL would
            # outlive, so the caller's path is put back right after.
            cursor.execute("SELECT current_setting('search_path')")
            path = cursor.fetchone()[0]
            cursor.execute(_rename(after_dump, source, target))
            cursor.execute("SELECT set_config('search_path', %s, true)", [path])
    # pg_dump's statements were schema-qualified; whatever path the session had
    # is unchanged, but make the backend re-assert it rather than trust it.
    connection.search_path_set_schemas = None
    return rows_total


# --- migrations ---------------------------------------------------------------
@cache
def migration_loader() -> MigrationLoader:
    """The code's migration graph, loaded once per process (no database)."""
    return MigrationLoader(None, ignore_no_migrations=True)


@cache
def code_migrations() -> frozenset[tuple[str, str]]:
    """Every migration the code defines (what a schema at head has recorded)."""
    return frozenset(migration_loader().graph.nodes)


def applied_migrations(schema: str) -> frozenset[tuple[str, str]]:
    """The migrations recorded in one schema's own django_migrations table (one query)."""
    _check_name(schema)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f'"{schema}".django_migrations'])
        if cursor.fetchone()[0] is None:
            return frozenset()
        # The name passed _check_name: it cannot carry SQL.
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')  # noqa: S608
        return frozenset((app, name) for app, name in cursor.fetchall())


def fingerprint(migrations: Iterable[tuple[str, str]]) -> str:
    digest = hashlib.sha256()
    for app, name in sorted(migrations):
        digest.update(f"{app}.{name}\n".encode())
    return digest.hexdigest()


def schema_catalog(schema: str) -> dict[str, list[tuple]]:
    """A schema's structure as the catalog has it, with its own name taken out.

    Tables, views and sequences; columns (in order, with type, nullability and
    default); indexes; constraints; and its recorded migrations. Two schemas with
    equal catalogs hold the same tables, columns, indexes and constraints.
    """
    _check_name(schema)
    queries = {
        "relations": (
            "SELECT c.relname, c.relkind FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind <> 'i' ORDER BY 1"
        ),
        "columns": (
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
            "pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated "
            "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "WHERE n.nspname = %s AND a.attnum > 0 AND NOT a.attisdropped "
            "AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY c.relname, a.attnum"
        ),
        "indexes": (
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = %s ORDER BY 1, 2"
        ),
        "constraints": (
            "SELECT c.relname, con.conname, con.contype, pg_get_constraintdef(con.oid) "
            "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
            "JOIN pg_namespace n ON n.oid = con.connamespace "
            "WHERE n.nspname = %s ORDER BY 1, 2"
        ),
    }
    catalog: dict[str, list[tuple]] = {}
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql, [schema])
            catalog[name] = [
                tuple(_rename(v, schema, "<schema>") if isinstance(v, str) else v for v in row)
                for row in cursor.fetchall()
            ]
    catalog["migrations"] = sorted(applied_migrations(schema) & code_migrations())
    return catalog
