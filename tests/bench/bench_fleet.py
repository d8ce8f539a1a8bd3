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
   Routing there is measured next to a copy of the 10-institution database (kept since
   step 1), each behind its own gunicorn, in alternating rounds printed with the load
   average (BENCH_FLEET_ROUNDS, default 5). BENCH_FLEET_ROUTING_ONLY=1 runs only the
   routing of steps 1 and 4.

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
from tests.servers import gunicorn_argv  # noqa: E402

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
# BENCH_FLEET_ROUTING_ONLY=1: only routing, 10 next to the large fleet (alternating
# rounds), then stop: no migration cases, no provisioning/console measures.
ROUTING_ONLY = os.environ.get("BENCH_FLEET_ROUTING_ONLY") == "1"
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


SMALL_DB_SUFFIX = "_small"
_SMALL_HOSTS: list[str] = []


def _database_url(suffix: str = "") -> str:
    base, name = os.environ["DATABASE_URL"].rsplit("/", 1)
    return f"{base}/{name}{suffix}"


def snapshot_small() -> None:
    """Keep the 10-institution database as it is now (a copy beside the bench's), so that
    the large fleet's routing is measured against it in alternating rounds, not against a
    figure taken an hour earlier under another load."""
    name = settings.DATABASES["default"]["NAME"]
    _SMALL_HOSTS[:] = filler_hosts(10)  # the hosts that copy has
    connections.close_all()
    with connection.cursor() as cursor:  # CREATE DATABASE ... TEMPLATE needs it unused
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}{SMALL_DB_SUFFIX}"')
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
    db = connection.settings_dict
    connections.close_all()
    import psycopg2

    other = psycopg2.connect(
        host=db["HOST"],
        port=db["PORT"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
    )
    other.autocommit = True
    try:
        with other.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}{SMALL_DB_SUFFIX}" TEMPLATE "{name}"')
    finally:
        other.close()


def drop_small() -> None:
    connections.close_all()
    with connection.cursor() as cursor:
        name = settings.DATABASES["default"]["NAME"]
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}{SMALL_DB_SUFFIX}" WITH (FORCE)')


class RoutingServer:
    """gunicorn (the product's config, ONE worker: with two, wrk's keep-alive connections
    land on whichever worker accepted them and the figure measures that placement - see
    run.py) on ``port`` against the database ``database_url``, and its wrk cases."""

    def __init__(self, hosts: list[str], port: int, database_url: str, redis_db: str) -> None:
        self.wrk = bench_run.ensure_wrk()
        self.port = port
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1/0").rsplit("/", 1)[0]
            + f"/{redis_db}",
            "GUNICORN_WORKERS": os.environ.get("BENCH_ROUTING_WORKERS", "1"),
            "GUNICORN_THREADS": "2",
            "GUNICORN_MAX_REQUESTS": "0",
            "LOG_LEVEL": "WARNING",
        }
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(ROTATE_LUA.format(hosts=", ".join(f'"{host}"' for host in hosts)))
        self.script = script.name
        self.cases = {
            "routed": ["-H", "Host: demo.localhost", "/bench/plain"],
            "api": ["-H", "Host: demo.localhost", "/api/v1/institution"],
            "many hosts": ["-s", self.script, "/bench/plain"],
        }
        self.server = subprocess.Popen(
            gunicorn_argv(port),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        bench_run.wait_for_port(port)

    def once(self, name: str, duration: float) -> float:
        *options, path = self.cases[name]
        result = subprocess.run(
            [
                self.wrk,
                "-t1",
                "-c8",
                f"-d{duration:.0f}s",
                "--latency",
                *options,
                f"http://127.0.0.1:{self.port}{path}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return bench_run.parse_wrk(result.stdout)[0]

    def close(self) -> None:
        os.killpg(self.server.pid, signal.SIGTERM)
        self.server.wait(timeout=30)
        Path(self.script).unlink(missing_ok=True)


def filler_hosts(count: int) -> list[str]:
    """The fillers' real hosts (an interrupted fill leaves gaps in their numbers)."""
    slugs = Tenant.objects.filter(slug__startswith=f"{FILL}-").order_by("slug")
    return [
        f"{slug}.{settings.PLATFORM_DOMAIN}"
        for slug in slugs.values_list("slug", flat=True)[:count]
    ]


def routing(count: int, rounds: int = 3, seconds: int = 4) -> dict[str, float]:
    """req/s (median of alternating rounds): one host, the API, a different host each time."""
    server = RoutingServer(filler_hosts(count), bench_run.PORT, _database_url(), "0")
    try:
        for name in server.cases:
            server.once(name, 2)
        samples: dict[str, list[float]] = {name: [] for name in server.cases}
        for _ in range(rounds):
            for name in server.cases:
                samples[name].append(server.once(name, seconds))
        return {name: statistics.median(values) for name, values in samples.items()}
    finally:
        server.close()


ROUNDS = int(os.environ.get("BENCH_FLEET_ROUNDS", "5"))


def routing_side_by_side(
    count: int, rounds: int = ROUNDS, seconds: int = 4
) -> tuple[dict[str, float], dict[str, float]]:
    """The 10-institution copy (snapshot_small) and the large fleet, each behind its own
    gunicorn, measured in alternating rounds (every case on one, then on the other, the
    order flipped each round), so that the machine's load hits both sides alike. Each
    round is printed with the load average; returns both sides' medians."""
    hosts = filler_hosts(count)
    small = RoutingServer(_SMALL_HOSTS, bench_run.PORT + 1, _database_url(SMALL_DB_SUFFIX), "1")
    large = RoutingServer(hosts, bench_run.PORT, _database_url(), "0")
    sides = {"10": small, f"{len(hosts):,}": large}
    try:
        # Warm-up: every backend meets every host once at least (the large side's
        # PostgreSQL backends read each schema's catalog on first touch).
        for server in sides.values():
            for name in server.cases:
                server.once(name, 2)
        warm = max(4, min(60, len(hosts) / 150))
        large.once("many hosts", warm)
        samples = {side: {name: [] for name in small.cases} for side in sides}
        print(f"  routing, alternating rounds ({seconds} s each, req/s):", flush=True)
        print(f"    {'round':<7}{'side':>8}" + "".join(f"{n:>12}" for n in small.cases) + "   load")
        for index in range(rounds):
            order = list(sides) if index % 2 == 0 else list(reversed(sides))
            for name in small.cases:
                for side in order:
                    samples[side][name].append(sides[side].once(name, seconds))
            for side in sides:
                values = "".join(f"{samples[side][n][-1]:>12.0f}" for n in small.cases)
                print(f"    {index + 1:<7}{side:>8}{values}   {os.getloadavg()[0]:.1f}", flush=True)
        medians = {
            side: {name: statistics.median(values) for name, values in cases.items()}
            for side, cases in samples.items()
        }
        for name in small.cases:
            ratios = [
                b / a
                for a, b in zip(samples["10"][name], samples[f"{len(hosts):,}"][name], strict=True)
            ]
            print(
                f"    {name}: per-round ratios "
                + " ".join(f"{r:.2f}" for r in ratios)
                + f" (median {statistics.median(ratios):.2f})",
                flush=True,
            )
        return medians["10"], medians[f"{len(hosts):,}"]
    finally:
        for server in sides.values():
            server.close()


def measures(count: int, rps: dict[str, float] | None = None) -> dict[str, float]:
    rps = rps or routing(count)
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
    if ROUTING_ONLY:
        small = {f"{name} req/s": value for name, value in routing(10).items()}
        snapshot_small()
        size = grow_to(LARGE, budget=fill_budget())
        pool_drain()
        migrate_tenants()
        routing_side_by_side(size)
        drop_small()
        for key, value in small.items():
            print(f"  {key} with 10 institutions measured alone at the start: {value:.0f}")
        return 0
    small = measures(10)
    snapshot_small()

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
    paired_small, paired_large = routing_side_by_side(size)
    drop_small()
    large = measures(size, paired_large)
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
    print(f"(the {size:,} req/s: medians of the alternating rounds above; the 10 column's")
    print(" req/s: measured alone at the start; the same rounds' 10-institution side:)")
    for key, value in paired_small.items():
        ratio = paired_large[key] / value if value else float("nan")
        print(f"{key + ' req/s':<22}{value:>10.3f}{paired_large[key]:>10.3f}{ratio:>8.2f}")
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
