#!/usr/bin/env python3
"""The fleet: migrations across many institutions, and what 10,000 of them cost.

Run by tests/bench/run.py (``--only fleet``), or alone under the bench stack. In order:

1. With 10 institutions: routing (gunicorn + wrk: one institution's host, the API, and
   a different institution's host on every request), provisioning (20 sign-ups from
   the pool, median) and the console's list page (signed-in platform admin, median).
2. With 50 institutions, each holding 10,000 rows in a table of a bench-only app
   (tests/bench/widen): ``migrate_tenants`` applying a migration that adds a column and
   an index to that table.
3. With 1,000 institutions: ``migrate_tenants`` with nothing to do, and with one new
   trivial migration (tests/bench/trivial) in every schema (must be < 30 s; goal < 5 s).
4. With 10,000 institutions: ``migrate_tenants`` with nothing to do (goal < 10 s), then
   the measures of step 1 again (goal: within 10% of 10; provisioning < 0.5 s, console
   list < 200 ms), and the catalog's size; last, a migration adding a model
   (CreateModel + RunSQL, tests/bench/addmodel) over all of them.

Filler institutions are made by a bulk path: the template's dump, its constraints folded
into its CREATE TABLEs (tests/bench/fleet_fill.py: the same catalog in about half the
statements), replayed under each new name, 25 to a transaction, in BENCH_FLEET_FILL_JOBS
processes, with their tenant, domain and usage rows - no audit entry, no profile write.
The fill is PostgreSQL's DDL (about 0.25 CPU-second per schema): on a shared machine it
may not reach 10,000 in time, so it stops after BENCH_FLEET_FILL_SECONDS or at
BENCH_FLEET_FILL_UNTIL (UTC "HH:MM"; default: no limit), or when the disk's free space
falls under BENCH_FLEET_MIN_FREE_GB (default 12; 10,000 schemas take about 45 GB), and
the large measures run at the size reached.

The bench's PostgreSQL is a throwaway cluster started with fsync, synchronous_commit and
full_page_writes off (deploy/dev/stack.py), like the test profile's: never a production
setting.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "platform"), str(ROOT / "tests" / "bench")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.bench.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import run as bench_run  # noqa: E402 (tests/bench/run.py: gunicorn and wrk helpers)
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from fleet_fill import compact_dump  # noqa: E402

from shared_apps.audit.services import Actor  # noqa: E402
from tenant_apps.people.services import user_create  # noqa: E402
from tenants.models import Domain, SchemaPoolEntry, Tenant, TenantUsage  # noqa: E402
from tenants.provisioning import pool_fill, template_current, template_schema  # noqa: E402
from tenants.schemas import restore_schema, schema_catalog  # noqa: E402
from tenants.services import schema_name_for_slug, tenant_create  # noqa: E402

ACTOR = Actor.system("bench")
BATCH = 25
SAMPLES = 20
FILL = "fill"
# The large fleet (10,000 by default; smaller for a quick look at the bench itself).
LARGE = int(os.environ.get("BENCH_FLEET_LARGE", "10000"))
# Processes that fill (PostgreSQL does the work: catalog inserts for ~220 relations each).
FILL_JOBS = int(os.environ.get("BENCH_FLEET_FILL_JOBS", "2"))
# The large fill stops after this many seconds (0: no limit), or when the disk holding
# PostgreSQL's data has less than this many GB free.
FILL_SECONDS = float(os.environ.get("BENCH_FLEET_FILL_SECONDS", "0"))
# Or at a time of day (UTC, "HH:MM"), whichever comes first.
FILL_UNTIL = os.environ.get("BENCH_FLEET_FILL_UNTIL", "")
MIN_FREE_GB = float(os.environ.get("BENCH_FLEET_MIN_FREE_GB", "12"))
DATA_DIR = Path(os.environ.get("OAE_STACK_VAR", ROOT / "var"))


# --- filler institutions ---------------------------------------------------------------
_COMPACT: dict[str, str] = {}  # template fingerprint -> its compacted dump
_CHECKED = False


def _compact_template() -> str:
    fingerprint, dump = template_current()
    if fingerprint not in _COMPACT:
        _COMPACT.clear()
        _COMPACT[fingerprint] = compact_dump(dump)
    return _COMPACT[fingerprint]


def _fill_range(indexes: list[int]) -> int:
    for conn in connections.all(initialized_only=True):
        conn.connection = None
    dump = _compact_template()
    source = template_schema()
    for start in range(0, len(indexes), BATCH):
        batch = indexes[start : start + BATCH]
        with transaction.atomic():
            tenants = []
            for index in batch:
                slug = f"{FILL}-{index:05d}"
                schema = schema_name_for_slug(slug)
                restore_schema(io.StringIO(dump), source=source, target=schema)
                tenants.append(Tenant(schema_name=schema, slug=slug, name=f"Filler {index}"))
            Tenant.objects.bulk_create(tenants)
            Domain.objects.bulk_create(
                Domain(domain=f"{t.slug}.{settings.PLATFORM_DOMAIN}", tenant=t, is_primary=True)
                for t in tenants
            )
            TenantUsage.objects.bulk_create(TenantUsage(tenant=t) for t in tenants)
    connection.close()
    return len(indexes)


def free_gb() -> float:
    return shutil.disk_usage(DATA_DIR if DATA_DIR.exists() else ROOT).free / 2**30


def fill_budget() -> float:
    """Seconds the large fill may take (0: no limit), from the two settings above."""
    budgets = [FILL_SECONDS] if FILL_SECONDS else []
    if FILL_UNTIL:
        hours, minutes = (int(part) for part in FILL_UNTIL.split(":"))
        now = time.time()
        until = now - now % 86400 + hours * 3600 + minutes * 60
        budgets.append((until - now) % 86400 or 1)
    return min(budgets, default=0)


def grow_to(count: int, *, budget: float = 0) -> int:
    """Add filler institutions until ``count`` exist (FILL_JOBS processes, 25 per transaction).

    Stops early after ``budget`` seconds (0: none) or when the disk runs low; returns
    the number of institutions there are.
    """
    connection.set_schema_to_public()
    existing = Tenant.objects.count()
    if existing >= count:
        return existing
    started = time.monotonic()
    _compact_template()  # built before the fork
    global _CHECKED
    if not _CHECKED:  # the compacted dump makes the template's catalog
        with transaction.atomic():
            restore_schema(
                io.StringIO(_compact_template()), source=template_schema(), target="fill_check"
            )
            same = schema_catalog("fill_check") == schema_catalog(template_schema())
            transaction.set_rollback(True)
        assert same, "the compacted dump does not make the template's catalog"
        _CHECKED = True
    # After the highest filler's number, not their count: an interrupted fill leaves gaps
    # (each process commits 25 at a time in its own range).
    last = (
        Tenant.objects.filter(slug__startswith=f"{FILL}-")
        .order_by("-slug")
        .values_list("slug", flat=True)
        .first()
    )
    first = int(last.rsplit("-", 1)[1]) + 1 if last else 0
    indexes = list(range(first, first + count - existing))
    # Small chunks, so that every process has work even when a few hundred are added.
    chunks = [indexes[i : i + 50] for i in range(0, len(indexes), 50)]
    connections.close_all()
    done = 0
    # Leaving the pool early terminates its processes: their open transactions roll back,
    # the batches they committed stay (real institutions, numbered with gaps).
    with multiprocessing.get_context("fork").Pool(FILL_JOBS) as pool:
        for added in pool.imap_unordered(_fill_range, chunks):
            done += added
            elapsed = time.monotonic() - started
            if done % 500 < 50 or done == len(indexes):
                print(
                    f"  ... {existing + done}/{count} institutions ({elapsed:.0f}s, "
                    f"{done / elapsed:.1f}/s, {free_gb():.0f} GB free, "
                    f"load {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
            if budget and elapsed > budget:
                print(f"  fill stopped: {budget:.0f}s budget spent", flush=True)
                break
            if free_gb() < MIN_FREE_GB:
                print(f"  fill stopped: under {MIN_FREE_GB:.0f} GB free on disk", flush=True)
                break
    connections.close_all()
    return Tenant.objects.count()


# --- migrate_tenants -------------------------------------------------------------------
def migrate_tenants(**env_vars: str) -> tuple[float, str]:
    env = {
        **os.environ,
        "OAE_BENCH_TRIVIAL": "0",
        "OAE_BENCH_WIDEN": "0",
        "OAE_BENCH_ADDMODEL": "0",
        **env_vars,
    }
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
        sys.exit(f"migrate_tenants failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    lines = result.stdout.strip().splitlines()
    summary = next((line for line in lines if " to migrate (" in line), "")
    return seconds, f"{summary.strip()} / {lines[-1].strip()}"


def all_schemas() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
            "AND nspname <> 'information_schema' ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]


def forget_app(app: str, table: str | None) -> None:
    """Take a bench app out of every schema again (its table and its migration rows).

    Behind migrate_tenants' back: the records in public go too (the next run reads
    every schema once), as `migrate_tenants --check-every-schema` would rewrite them.
    """
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM public.tenants_schemamigrationstate")
        for schema in all_schemas():
            if table:
                cursor.execute(f'DROP TABLE IF EXISTS "{schema}".{table}')
            cursor.execute("SELECT to_regclass(%s)", [f'"{schema}".django_migrations'])
            if cursor.fetchone()[0] is not None:
                cursor.execute(
                    f'DELETE FROM "{schema}".django_migrations WHERE app = %s',  # noqa: S608
                    [app],
                )


def pool_drain() -> None:
    connection.set_schema_to_public()
    for entry in SchemaPoolEntry.objects.all():
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{entry.schema_name}" CASCADE')
        entry.delete()


def widen_case() -> tuple[float, str]:
    """50 institutions with 10,000 rows each; time the migration adding a column + index."""
    migrate_tenants(OAE_BENCH_WIDEN="1")
    connection.set_schema_to_public()
    schemas = list(Tenant.objects.values_list("schema_name", flat=True))
    with connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(
                f'INSERT INTO "{schema}".bench_widen_row (n, label) '  # noqa: S608
                "SELECT g, 'row ' || g FROM generate_series(1, 10000) AS g"
            )
            cursor.execute(f'ANALYZE "{schema}".bench_widen_row')
    seconds, line = migrate_tenants(OAE_BENCH_WIDEN="2")
    with connection.cursor() as cursor:  # every schema really has the column and index
        for schema in schemas:
            cursor.execute(
                "SELECT count(*) FROM pg_indexes WHERE schemaname = %s "
                "AND indexname = 'bench_widen_row_score'",
                [schema],
            )
            assert cursor.fetchone()[0] == 1, schema
    forget_app("bench_widen", "bench_widen_row")
    pool_drain()
    migrate_tenants()  # the template back to the product's head
    return seconds, line


# --- the per-size measures ---------------------------------------------------------------
def provisioning_median(label: str) -> float:
    pool_drain()
    pool_fill(size=SAMPLES)
    times, slugs = [], []
    for index in range(SAMPLES):
        slug = f"bench-prov-{label}-{index}"
        started = time.perf_counter()
        tenant_create(slug=slug, name=f"Bench {index}", actor=ACTOR)
        times.append(time.perf_counter() - started)
        slugs.append(slug)
    connection.set_schema_to_public()
    for tenant in Tenant.objects.filter(slug__in=slugs):
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{tenant.schema_name}" CASCADE')
        tenant.delete()
    pool_drain()
    return statistics.median(times)


def console_medians() -> tuple[float, float]:
    """Median ms of the console's first page, and of a search, as a platform admin."""
    connection.set_schema_to_public()
    from tenant_apps.people.models import User

    admin = User.objects.filter(username="bench-console").first() or user_create(
        username="bench-console", email="bench-console@platform.example", is_admin=True
    )
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    client.force_login(admin)
    from tests.conftest import second_factor_proven

    second_factor_proven(client, admin)
    results = []
    for path in ("/console/", "/console/?q=filler+7"):
        assert client.get(path).status_code == 200
        times = []
        for _ in range(30):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        results.append(statistics.median(times))
    return results[0], results[1]


ROTATE_LUA = """
hosts = {{{hosts}}}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/bench/plain", {{Host = hosts[counter % #hosts + 1]}})
end
"""


def routing(count: int, rounds: int = 3, seconds: int = 4) -> dict[str, float]:
    """req/s (median of alternating rounds): one host, the API, a different host each time."""
    wrk = bench_run.ensure_wrk()
    env = {
        **os.environ,
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "2",
        "GUNICORN_MAX_REQUESTS": "0",
        "LOG_LEVEL": "WARNING",
    }
    # The fillers' real hosts (an interrupted fill leaves gaps in their numbers).
    slugs = Tenant.objects.filter(slug__startswith=f"{FILL}-").order_by("slug")
    hosts = [
        f'"{slug}.{settings.PLATFORM_DOMAIN}"'
        for slug in slugs.values_list("slug", flat=True)[:count]
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(ROTATE_LUA.format(hosts=", ".join(hosts)))
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--config",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{bench_run.PORT}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        bench_run.wait_for_port(bench_run.PORT)
        cases = {
            "routed": ["-H", "Host: demo.localhost", "/bench/plain"],
            "api": ["-H", "Host: demo.localhost", "/api/v1/institution"],
            "many hosts": ["-s", script.name, "/bench/plain"],
        }

        def once(name: str, duration: int) -> float:
            *options, path = cases[name]
            result = subprocess.run(
                [
                    wrk,
                    "-t1",
                    "-c8",
                    f"-d{duration}s",
                    "--latency",
                    *options,
                    f"http://127.0.0.1:{bench_run.PORT}{path}",
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            return bench_run.parse_wrk(result.stdout)[0]

        for name in cases:
            once(name, 2)
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(rounds):
            for name in cases:
                samples[name].append(once(name, seconds))
        return {name: statistics.median(values) for name, values in samples.items()}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        Path(script.name).unlink(missing_ok=True)


def measures(count: int) -> dict[str, float]:
    rps = routing(count)
    console, search = console_medians()
    return {
        **{f"{name} req/s": value for name, value in rps.items()},
        "provisioning s": provisioning_median(str(count)),
        "console list ms": console,
        "console search ms": search,
    }


def catalog_size() -> tuple[int, int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM pg_class), "
            "(SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'pg_catalog'), "
            "pg_database_size(current_database())"
        )
        return cursor.fetchone()


def main() -> int:
    migrate_tenants()
    if not Tenant.objects.filter(slug="demo").exists():  # run alone, not by run.py
        call_command("bootstrap_demo", stdout=io.StringIO())
    pool_drain()
    connection.set_schema_to_public()

    grow_to(10)
    print("  measuring with 10 institutions", flush=True)
    small = measures(10)

    grow_to(50)
    print("  50 institutions x 10,000 rows: a migration adding a column and an index", flush=True)
    widen, widen_line = widen_case()

    grow_to(1000)
    first_1k, first_1k_line = migrate_tenants()  # reads each new schema once, records it
    noop_1k, _ = migrate_tenants()
    trivial, trivial_line = migrate_tenants(OAE_BENCH_TRIVIAL="1")
    print(f"  1,000: nothing to do {noop_1k:.1f}s; one trivial migration {trivial:.1f}s")
    forget_app("bench_trivial", None)
    pool_drain()
    migrate_tenants()

    size = grow_to(LARGE, budget=fill_budget())
    pool_drain()
    # The first run after growing refills the pool and reads (then records) each new schema.
    first_10k, _ = migrate_tenants()
    noop_10k, noop_10k_line = migrate_tenants()
    print(f"  {size:,}: nothing to do {noop_10k:.1f}s (first run {first_10k:.1f}s)", flush=True)
    large = measures(size)
    relations, catalog_bytes, database_bytes = catalog_size()

    print()
    print("migrate_tenants (2 jobs; seconds for the whole command, start-up included)")
    print(f"  1,000 institutions, one trivial migration:   {trivial:7.1f}  (must < 30, goal < 5)")
    print(f"      {trivial_line}")
    print(f"  1,000 institutions, nothing to do:           {noop_1k:7.1f}")
    print(f"  1,000, the first run after adding them:       {first_1k:7.1f}")
    print(f"      {first_1k_line}")
    print(f"  50 x 10,000 rows, add a column and an index: {widen:7.1f}")
    print(f"      {widen_line}")
    print(f"  {size:,} institutions, nothing to do:{noop_10k:16.1f}  (goal < 10)")
    print(f"      {noop_10k_line}")
    print(f"  {size:,}, the first run after adding them:{first_10k:11.1f}")
    print()
    print(f"{'measure':<22}{'10':>10}{size:>10,}{'ratio':>8}")
    for key in small:
        ratio = large[key] / small[key] if small[key] else float("nan")
        print(f"{key:<22}{small[key]:>10.3f}{large[key]:>10.3f}{ratio:>8.2f}")
    print("goals: req/s within 10%; provisioning < 0.5 s; console list < 200 ms")
    print()
    print(
        f"catalog at {size:,} institutions: {relations:,} pg_class rows, pg_catalog "
        f"{catalog_bytes / 2**20:,.0f} MiB, database {database_bytes / 2**30:,.1f} GiB"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}", flush=True)

    # Last (it changes every schema for good): a migration adding a model, CreateModel +
    # RunSQL (tests/bench/addmodel, the shape of search.0001) over the whole fleet.
    addmodel, addmodel_line = migrate_tenants(OAE_BENCH_ADDMODEL="1")
    print()
    print(f"  {size:,} institutions, a migration adding a model (CreateModel + RunSQL):")
    print(f"      {addmodel:.1f} s: {addmodel_line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
