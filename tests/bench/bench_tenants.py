#!/usr/bin/env python3
"""Institution lifecycle benchmarks (run by tests/bench/run.py, or alone under the bench stack).

1. Provisioning 20 institutions by replaying the template next to the plain path
   (CREATE SCHEMA + every migration), everything else the same, with 10 and with
   2,000 institutions already present: medians and their ratio.
   Goal: replay median under 0.5 s and at least 10x faster than the plain path.
2. migrate_tenants over 1,000 institutions with nothing to migrate (goal < 30 s),
   and with one new trivial migration (a no-op RunSQL) in every schema.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.bench.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

import tenants.services as tenant_services  # noqa: E402
from shared_apps.audit.services import Actor  # noqa: E402
from tenants.models import Tenant  # noqa: E402
from tenants.provisioning import schema_create_from_template  # noqa: E402

ACTOR = Actor.system("bench")
SAMPLES = 20


def plain_schema_create(schema: str) -> None:
    """django-tenants' path: an empty schema, then every migration run into it."""
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema}"')
    call_command(
        "migrate_schemas",
        schema_name=schema,
        tenant=True,
        interactive=False,
        verbosity=0,
        skip_checks=True,
        executor="standard",
    )
    connection.set_schema_to_public()


def drop(slugs: list[str]) -> None:
    connection.set_schema_to_public()
    for tenant in Tenant.objects.filter(slug__in=slugs):
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{tenant.schema_name}" CASCADE')
        tenant.delete()


def provision(method: str, label: str) -> list[float]:
    tenant_services.schema_create_from_template = (
        schema_create_from_template if method == "replay" else plain_schema_create
    )
    times, slugs = [], []
    for index in range(SAMPLES):
        slug = f"bench-{method}-{label}-{index}"
        started = time.perf_counter()
        tenant_services.tenant_create(slug=slug, name=f"Bench {index}", actor=ACTOR)
        times.append(time.perf_counter() - started)
        slugs.append(slug)
    drop(slugs)
    tenant_services.schema_create_from_template = schema_create_from_template
    return times


def grow_to(count: int) -> None:
    """Bulk-create filler institutions by the fast path until ``count`` exist."""
    existing = Tenant.objects.count()
    started = time.monotonic()
    for index in range(existing, count):
        tenant_services.tenant_create(slug=f"fill-{index:05d}", name=f"Filler {index}", actor=ACTOR)
        if (index + 1) % 250 == 0:
            print(
                f"  ... {index + 1}/{count} institutions ({time.monotonic() - started:.0f}s)",
                flush=True,
            )


def migrate_tenants_seconds(*, trivial: bool) -> tuple[float, str]:
    env = {**os.environ, "OAE_BENCH_TRIVIAL": "1" if trivial else "0"}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate_tenants", "--jobs", "2"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"migrate_tenants failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return seconds, result.stdout.strip().splitlines()[-1]


def main() -> int:
    rows = []
    call_command("migrate_tenants", jobs=2, stdout=open(os.devnull, "w"))  # noqa: SIM115
    for present in (10, 1000, 2000):
        grow_to(present)
        if present == 1000:
            noop, noop_line = migrate_tenants_seconds(trivial=False)
            one, one_line = migrate_tenants_seconds(trivial=True)
            print(f"  migrate_tenants, nothing to do: {noop:.1f}s ({noop_line})")
            print(f"  migrate_tenants, one trivial migration: {one:.1f}s ({one_line})")
            migrate_tenants_seconds(trivial=False)  # template back to the product's head
            continue
        replay = provision("replay", str(present))
        plain = provision("plain", str(present))
        rows.append((present, statistics.median(replay), statistics.median(plain)))
        print(
            f"  {present} present: replay {statistics.median(replay):.3f}s, "
            f"plain {statistics.median(plain):.3f}s",
            flush=True,
        )

    print()
    print(f"provisioning ({SAMPLES} institutions each; medians)")
    print(f"{'present':>8}{'replay s':>10}{'plain s':>10}{'faster':>8}")
    for present, replay, plain in rows:
        print(f"{present:>8}{replay:>10.3f}{plain:>10.3f}{plain / replay:>7.1f}x")
    print("goal: replay median < 0.5 s and >= 10x faster than plain")
    print()
    print("migrate_tenants over 1,000 institutions (2 jobs)")
    print(f"  nothing to migrate:       {noop:>7.1f} s   (goal < 30 s)")
    print(f"  one trivial migration:    {one:>7.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
