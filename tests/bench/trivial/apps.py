from django.apps import AppConfig


class TrivialConfig(AppConfig):
    """A tenant app with one no-op migration: "one new trivial migration" for the bench."""

    name = "tests.bench.trivial"
    label = "bench_trivial"
