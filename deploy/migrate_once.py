#!/usr/bin/env python3
"""Run `manage.py migrate_tenants` once per deploy, however many containers start at once.

Every web container runs this before gunicorn (deploy/entrypoint.sh). The first to take
a PostgreSQL advisory lock migrates; the others wait for the lock, then find every
schema at head and go on without migrating. The lock is held on a connection of its own,
because migrate_tenants closes Django's connections before it forks its workers.

    python deploy/migrate_once.py        exit 0: at head (migrated now or already)

MIGRATE_LOCK_TIMEOUT (seconds, default 1800) bounds the wait for another container's
migration; past it the process exits 1 and the orchestrator restarts it.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (str(ROOT), str(ROOT / "platform")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

# A fixed 64-bit key for pg_advisory_lock, the same in every container of every release.
MIGRATE_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"oae:deploy:migrate_tenants").digest()[:8], "big", signed=True
)


def say(message: str) -> None:
    print(f"[migrate_once] {message}", flush=True)


def pending() -> list[str]:
    """What is not at the code's migration head: public, the template, institutions."""
    from django.db import connection

    from tenants.migrating import schemas_behind
    from tenants.models import SchemaTemplate, Tenant
    from tenants.schemas import code_migrations, fingerprint

    head = code_migrations()
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('public.django_migrations')")
        if cursor.fetchone()[0] is None:
            return ["public"]
        cursor.execute("SELECT app, name FROM public.django_migrations")
        public = frozenset(cursor.fetchall())
        cursor.execute("SELECT to_regclass('public.tenants_schematemplate')")
        has_template_table = cursor.fetchone()[0] is not None
    behind = [] if head <= public else ["public"]
    if not has_template_table:
        return [*behind, "template"]
    template = SchemaTemplate.objects.only("fingerprint").first()
    if template is None or template.fingerprint != fingerprint(head):
        behind.append("template")
    schemas = list(Tenant.objects.values_list("schema_name", flat=True))
    return behind + schemas_behind(schemas, records=True)


def _lock_connection():
    import psycopg2
    from django.conf import settings

    db = settings.DATABASES["default"]
    return psycopg2.connect(
        dbname=db["NAME"],
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        application_name="oae-migrate-lock",
        connect_timeout=10,
        **{k: v for k, v in db.get("OPTIONS", {}).items() if k == "sslmode"},
    )


def migrate_once(*, lock_timeout: float) -> int:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connections

    lock = _lock_connection()
    lock.autocommit = True
    try:
        with lock.cursor() as cursor:
            deadline = time.monotonic() + lock_timeout
            waiting = False
            while True:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [MIGRATE_LOCK_KEY])
                if cursor.fetchone()[0]:
                    break
                if not waiting:
                    say("another process is migrating: waiting for it")
                    waiting = True
                if time.monotonic() > deadline:
                    say(f"gave up waiting after {lock_timeout:.0f}s")
                    return 1
                time.sleep(1)
            say("lock taken")
            behind = pending()
            if not behind:
                say("nothing to migrate: every schema is at head")
                return 0
            say(f"migrating ({len(behind)} behind head, first: {', '.join(behind[:3])})")
            call_command("migrate_tenants")
            connections.close_all()
            still = pending()
            if still:
                say(f"still behind after migrating: {', '.join(still[:5])}")
                return 1
            say("migrated: every schema is at head")
            return 0
    finally:
        lock.close()  # releases the advisory lock with the session


def main() -> int:
    timeout = float(os.environ.get("MIGRATE_LOCK_TIMEOUT") or 1800)
    try:
        return migrate_once(lock_timeout=timeout)
    except Exception as error:
        say(f"failed: {type(error).__name__}: {error}")
        raise


if __name__ == "__main__":
    sys.exit(main())
