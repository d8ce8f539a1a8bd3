"""Settings for the benchmarks: the product's, plus a plain view to compare against.

With OAE_BENCH_TRIVIAL=1 a tenant app with one no-op migration is installed, so
that migrate_tenants has exactly one new migration to apply in every schema.
"""

import os

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS, TENANT_APPS

PUBLIC_SCHEMA_URLCONF = "tests.bench.urls_public"
ROOT_URLCONF = "tests.bench.urls_tenant"

if os.environ.get("OAE_BENCH_TRIVIAL") == "1":
    TENANT_APPS = [*TENANT_APPS, "tests.bench.trivial"]
    INSTALLED_APPS = [*INSTALLED_APPS, "tests.bench.trivial"]

# OAE_BENCH_WIDEN=1: a tenant app with a table; =2: plus a migration adding a column and
# an index to it (tests/bench/widen; the migrations module picks the version).
if os.environ.get("OAE_BENCH_WIDEN") in ("1", "2"):
    TENANT_APPS = [*TENANT_APPS, "tests.bench.widen"]
    INSTALLED_APPS = [*INSTALLED_APPS, "tests.bench.widen"]
    MIGRATION_MODULES = {
        "bench_widen": f"tests.bench.widen.migrations_v{os.environ['OAE_BENCH_WIDEN']}"
    }

# OAE_BENCH_ADDMODEL=1: a tenant app whose one migration adds a model and runs SQL, the
# shape of search.0001 (tests/bench/addmodel).
if os.environ.get("OAE_BENCH_ADDMODEL") == "1":
    TENANT_APPS = [*TENANT_APPS, "tests.bench.addmodel"]
    INSTALLED_APPS = [*INSTALLED_APPS, "tests.bench.addmodel"]
