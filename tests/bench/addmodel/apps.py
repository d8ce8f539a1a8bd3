from django.apps import AppConfig


class AddModelConfig(AppConfig):
    """A tenant app whose one migration adds a model and runs SQL, like search.0001.

    ``OAE_BENCH_ADDMODEL=1`` installs it (tests/bench/settings.py): a migration over the
    fleet that creates a table with an index, a function and a trigger, and whose new
    model needs its content type and permissions in every schema (post-migrate).
    """

    name = "tests.bench.addmodel"
    label = "bench_addmodel"
