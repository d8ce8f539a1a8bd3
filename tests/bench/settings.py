"""Settings for the benchmark server: the product's, plus a plain view to compare against."""

from config.settings import *  # noqa: F403

PUBLIC_SCHEMA_URLCONF = "tests.bench.urls_public"
ROOT_URLCONF = "tests.bench.urls_tenant"
