#!/usr/bin/env python3
"""The directory's name search as a prepared statement's generic plan vs planned for its word.

200,000 people bulk-loaded (bench_people's loader) into one institution; the directory
search's statement (a first page of ``?q=``) is prepared by hand, executed six times with
one kind of word so that PostgreSQL settles on a generic plan, then EXPLAIN ANALYZE'd with
the other kind of word; the same statement with the values written in (what
``planned_for_values`` makes it) is the baseline, in the same run.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "platform"), str(ROOT / "tests" / "bench")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.bench.settings")

from bench_people import ensure  # noqa: E402  (sets Django up)
from django.db import connection  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from config.db import prepared  # noqa: E402
from tenant_apps.people.models import User  # noqa: E402
from tenant_apps.people.selectors import people_directory  # noqa: E402

SIZE = 200_000
PAGE = 21
COMMON = ["a", "e", "an", "ar", "o", "n"]  # in most names
RARE = ["zzq", "qqx", "xzx", "jjv", "wqw", "vvk"]  # in none


def statement(viewer: User, word: str) -> tuple[str, list]:
    rows = people_directory(viewer=viewer, query=word).order_by("display_name", "id")[:PAGE]
    sql, params = rows.query.sql_with_params()
    return sql.replace(prepared.MARKER, ""), list(params)


def explain(cursor, sql: str, params: list) -> tuple[float, str]:
    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
    lines = [row[0] for row in cursor.fetchall()]
    total = float(lines[-1].split(":")[1].split()[0])  # "Execution Time: x ms"
    planning = [line for line in lines if line.startswith("Planning Time")]
    total += float(planning[0].split(":")[1].split()[0]) if planning else 0.0
    return total, lines[0].strip() + " / " + (lines[1].strip() if len(lines) > 1 else "")


def main() -> None:
    tenant = ensure("dir-plans", SIZE)
    with schema_context(tenant.schema_name):
        viewer = User.objects.get(username="viewer")
        raw = connection.cursor().cursor  # our own PREPARE/EXECUTE below, by hand
        for warm, probe, label in [
            (COMMON, RARE, "rare after common"),
            (RARE, COMMON, "common after rare"),
        ]:
            sql, params = statement(viewer, warm[0])
            text = prepared.positional(sql)
            assert text is not None
            raw.execute("DEALLOCATE ALL")
            raw.execute(f"PREPARE bench_dir AS {text}")
            marks = ", ".join(["%s"] * len(params))
            for word in warm:
                _sql, values = statement(viewer, word)
                started = time.perf_counter()
                raw.execute(f"EXECUTE bench_dir({marks})", values)
                raw.fetchall()
                print(f"  warm {word!r}: {1000 * (time.perf_counter() - started):.1f} ms")
            raw.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements")
            print(f"  {label}: generic/custom plans so far {raw.fetchone()}")
            for word in probe[:3]:
                probe_sql, values = statement(viewer, word)
                prepared_ms, prepared_plan = explain(raw, f"EXECUTE bench_dir({marks})", values)
                custom_ms, custom_plan = explain(raw, probe_sql, values)
                print(
                    f"  {label} {word!r}: prepared {prepared_ms:.1f} ms [{prepared_plan}]\n"
                    f"  {' ' * len(label)} {word!r}: planned for the word {custom_ms:.1f} ms "
                    f"[{custom_plan}]",
                    flush=True,
                )
            raw.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements")
            print(f"  {label}: generic/custom plans at the end {raw.fetchone()}")
            raw.execute("DEALLOCATE ALL")


if __name__ == "__main__":
    main()
