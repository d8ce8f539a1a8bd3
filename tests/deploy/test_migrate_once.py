"""deploy/migrate_once.py: containers starting together migrate exactly once.

Runs against a database of its own on the test server (advisory locks are per
database, and a fresh one has everything to migrate).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "migrate_once.py"
_spec = importlib.util.spec_from_file_location("migrate_once", SCRIPT)
migrate_once = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(migrate_once)


def _server() -> dict:
    s = connection.settings_dict
    return {"host": s["HOST"], "port": s["PORT"], "user": s["USER"]}


@pytest.fixture
def fresh_database(django_db_setup) -> Iterator[str]:
    name = f"oae_deploy_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(dbname="postgres", **_server())
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _env(database: str, **extra: str) -> dict[str, str]:
    server = _server()
    return {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "DATABASE_URL": f"postgres://{server['user']}@{server['host']}:{server['port']}/{database}",
        "TENANT_POOL_SIZE": "1",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def _start(database: str, **extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(SCRIPT)],
        cwd=ROOT,
        env=_env(database, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _query(database: str, sql: str) -> list[tuple]:
    conn = psycopg2.connect(dbname=database, **_server())
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()
    finally:
        conn.close()


def test_a_held_lock_keeps_a_second_container_from_migrating(fresh_database):
    holder = psycopg2.connect(dbname=fresh_database, **_server())
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [migrate_once.MIGRATE_LOCK_KEY])
        started = time.monotonic()
        process = _start(fresh_database, MIGRATE_LOCK_TIMEOUT="3")
        output, _ = process.communicate(timeout=120)
    finally:
        holder.close()
    assert process.returncode == 1, output
    assert "another process is migrating: waiting for it" in output
    assert "gave up waiting after 3s" in output
    assert time.monotonic() - started >= 3
    # It touched nothing while it waited.
    assert _query(fresh_database, "SELECT to_regclass('public.django_migrations')") == [(None,)]


def test_two_containers_starting_together_migrate_once(fresh_database):
    first, second = _start(fresh_database), _start(fresh_database)
    outputs = [first.communicate(timeout=300)[0], second.communicate(timeout=300)[0]]
    assert first.returncode == 0 and second.returncode == 0, outputs
    migrated = [out for out in outputs if "[migrate_once] migrating (" in out]
    skipped = [out for out in outputs if "nothing to migrate: every schema is at head" in out]
    assert len(migrated) == 1 and len(skipped) == 1, outputs
    assert "migrated: every schema is at head" in migrated[0]
    # Each migration is recorded once, and the template new institutions come from exists.
    duplicates = _query(
        fresh_database,
        "SELECT app, name FROM public.django_migrations GROUP BY app, name HAVING count(*) > 1",
    )
    assert duplicates == []
    assert _query(fresh_database, "SELECT count(*) FROM public.tenants_schematemplate")[0][0] == 1
    # A later start (a restart, a scale-out) finds nothing to do.
    again = _start(fresh_database)
    output, _ = again.communicate(timeout=120)
    assert again.returncode == 0 and "nothing to migrate" in output, output
