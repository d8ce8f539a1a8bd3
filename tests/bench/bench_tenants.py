#!/usr/bin/env python3
"""Institution lifecycle benchmarks (run by tests/bench/run.py, or alone under the bench stack).

1. Provisioning 20 institutions three ways, everything else the same, with 10 and
   with 2,000 institutions already present (medians, ratio to plain):
   pool    rename a ready schema from the pool (the normal case; the pool is filled
           to 20 beforehand, as the refill task keeps it filled between sign-ups),
   replay  replay the template's dump (what happens when the pool is empty),
   plain   CREATE SCHEMA and run every migration into it (django-tenants' way).
   Goal: median under 0.5 s and at least 10x faster than plain.
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
from tenants.models import SchemaPoolEntry, Tenant  # noqa: E402
from tenants.provisioning import pool_fill, schema_create_from_template  # noqa: E402

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


def pool_drain() -> None:
    for entry in SchemaPoolEntry.objects.all():
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{entry.schema_name}" CASCADE')
        entry.delete()


def provision(method: str, label: str) -> list[float]:
    pool_drain()
    if method == "pool":
        pool_fill(size=SAMPLES)
    tenant_services.schema_create_from_template = (
        plain_schema_create if method == "plain" else schema_create_from_template
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
    pool_drain()  # filler institutions replay; each case below sets the pool up itself
    for present in (10, 1000, 2000):
        grow_to(present)
        if present == 1000:
            noop, noop_line = migrate_tenants_seconds(trivial=False)
            one, one_line = migrate_tenants_seconds(trivial=True)
            print(f"  migrate_tenants, nothing to do: {noop:.1f}s ({noop_line})")
            print(f"  migrate_tenants, one trivial migration: {one:.1f}s ({one_line})")
            migrate_tenants_seconds(trivial=False)  # template back to the product's head
            pool_drain()
            continue
        medians = {
            method: statistics.median(provision(method, str(present)))
            for method in ("pool", "replay", "plain")
        }
        rows.append((present, medians))
        summary = ", ".join(f"{method} {secs:.3f}s" for method, secs in medians.items())
        print(f"  {present} present: {summary}", flush=True)

    print()
    print(f"provisioning ({SAMPLES} institutions each; medians)")
    print(f"{'present':>8}{'pool s':>9}{'replay s':>10}{'plain s':>9}{'pool x':>8}{'replay x':>10}")
    for present, m in rows:
        print(
            f"{present:>8}{m['pool']:>9.3f}{m['replay']:>10.3f}{m['plain']:>9.3f}"
            f"{m['plain'] / m['pool']:>7.1f}x{m['plain'] / m['replay']:>9.1f}x"
        )
    print("goal: median < 0.5 s and >= 10x faster than plain")
    print()
    print("migrate_tenants over 1,000 institutions (2 jobs)")
    print(f"  nothing to migrate:       {noop:>7.1f} s   (goal < 30 s)")
    print(f"  one trivial migration:    {one:>7.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
