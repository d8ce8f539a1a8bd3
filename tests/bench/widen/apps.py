from django.apps import AppConfig


class WidenConfig(AppConfig):
    """A tenant app whose second migration adds a column and an index to a filled table.

    ``OAE_BENCH_WIDEN=1`` installs it with its first migration (the table),
    ``OAE_BENCH_WIDEN=2`` with both (the new column and its index): see tests/bench/settings.py.
    """

    name = "tests.bench.widen"
    label = "bench_widen"
