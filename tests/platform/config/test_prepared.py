"""Prepared statements (config.db.prepared) and the health check without a round trip.

Each test opens its own connection (a second ``DatabaseWrapper`` on the test database,
in autocommit like a request's), because pytest-django's ``db`` wraps the default one
in a transaction, where nothing is ever prepared.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg2
import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from config.db import prepared
from config.db.base import DatabaseWrapper
from tenant_apps.people.models import User

ALPHA = ["alice", "alpha-admin", "bob"]
BETA = ["charlie"]


def _wrapper(alias: str, **overrides) -> DatabaseWrapper:
    settings = {
        **connection.settings_dict,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": True,
        "PREPARED_STATEMENTS": True,
        **overrides,
    }
    wrapper = DatabaseWrapper(settings, alias=alias)
    connections[alias] = wrapper
    return wrapper


@pytest.fixture
def own(world, django_db_blocker) -> Iterator[DatabaseWrapper]:
    """A connection of its own in institution A, in autocommit."""
    with django_db_blocker.unblock():
        wrapper = _wrapper("prepared_own")
        wrapper.set_tenant(world.tenant_a)
        try:
            yield wrapper
        finally:
            wrapper.close()
            del connections[wrapper.alias]


def _active_usernames(wrapper: DatabaseWrapper) -> list[str]:
    # An ORM read with a parameter: a candidate for preparing.
    return list(
        User.objects.using(wrapper.alias)
        .exclude(username="nobody")
        .order_by("username")
        .values_list("username", flat=True)
    )


def _prepared(wrapper: DatabaseWrapper) -> list[tuple[str, str, int]]:
    with wrapper.cursor() as cursor:
        cursor.execute(
            "SELECT name, statement, generic_plans FROM pg_prepared_statements ORDER BY name"
        )
        return cursor.fetchall()


def test_a_repeated_read_runs_prepared_and_is_planned_once(own):
    for _ in range(10):
        assert _active_usernames(own) == ALPHA
    statements = [row for row in _prepared(own) if '"people_user"' in row[1]]
    assert len(statements) == 1
    _name, text, generic_plans = statements[0]
    assert text.startswith("PREPARE oae_") and "$1" in text
    # PostgreSQL plans the first executions for their values, then keeps a generic plan.
    assert generic_plans >= 3


def test_the_same_text_in_another_institution_reads_that_institutions_rows(own, world):
    for _ in range(8):
        assert _active_usernames(own) == ALPHA
    own.set_tenant(world.tenant_b)
    for _ in range(8):
        assert _active_usernames(own) == BETA
    own.set_tenant(world.tenant_a)
    assert _active_usernames(own) == ALPHA
    # One prepared statement served both: PostgreSQL re-planned it for each search path.
    assert len([row for row in _prepared(own) if '"people_user"' in row[1]]) == 1


def test_debug_tools_see_the_statement_not_execute(own):
    for _ in range(3):
        _active_usernames(own)
    with CaptureQueriesContext(own) as captured:
        _active_usernames(own)
    (query,) = captured.captured_queries
    assert query["sql"].startswith('SELECT "people_user"."username"')
    assert "'nobody'" in query["sql"] and "EXECUTE" not in query["sql"]


def test_a_statement_postgresql_will_not_prepare_runs_as_before(own):
    # "$1 + $2": PostgreSQL cannot choose an operator for two values of unknown type,
    # so PREPARE fails; with the values written in (1 + 2) the read works, as before.
    for _ in range(4):
        with own.cursor() as cursor:
            cursor.execute("SELECT %s + %s", [1, 2])
            assert cursor.fetchone() == (3,)
    assert "SELECT %s + %s" in own.connection.statements.refused
    assert not [row for row in _prepared(own) if "$1 + $2" in row[1]]


def test_nothing_is_prepared_inside_a_transaction_but_prepared_ones_run_there(own):
    with transaction.atomic(using=own.alias):
        for _ in range(4):
            assert _active_usernames(own) == ALPHA
    assert not own.connection.statements.names  # a failed PREPARE would abort the transaction
    for _ in range(2):
        _active_usernames(own)  # autocommit: prepared now
    assert len(own.connection.statements.names) == 1
    with transaction.atomic(using=own.alias):
        assert _active_usernames(own) == ALPHA
        User.objects.using(own.alias).filter(username="bob").update(department="Physics")
        assert _active_usernames(own) == ALPHA
        transaction.set_rollback(True, using=own.alias)


def test_a_changed_result_type_is_prepared_again(own):
    with own.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE shapes (id integer, label integer)")
        cursor.execute("INSERT INTO shapes VALUES (1, 7)")
        for _ in range(3):
            cursor.execute("SELECT label FROM shapes WHERE id = %s", [1])
            assert cursor.fetchone() == (7,)
        assert own.connection.statements.names
        # What a migration may do under a running process: PostgreSQL refuses the
        # cached plan ("cached plan must not change result type").
        cursor.execute("ALTER TABLE shapes ALTER COLUMN label TYPE text")
        cursor.execute("SELECT label FROM shapes WHERE id = %s", [1])
        assert cursor.fetchone() == ("7",)


def test_at_most_capacity_statements_per_connection(own, monkeypatch):
    monkeypatch.setattr(prepared, "CAPACITY", 3)
    for n in range(6):
        for _ in range(2):
            with own.cursor() as cursor:
                cursor.execute(f"SELECT {n} + %s", [1])
                assert cursor.fetchone() == (n + 1,)
    assert len(own.connection.statements.names) == 3
    assert len([row for row in _prepared(own) if row[0].startswith("oae_")]) == 3


def test_no_prepared_statements_behind_a_transaction_pooler(world, django_db_blocker):
    with django_db_blocker.unblock():
        pooled = _wrapper("prepared_pooled", TRANSACTION_POOLING=True)
        off = _wrapper("prepared_off", PREPARED_STATEMENTS=False)
        try:
            for wrapper in (pooled, off):
                wrapper.set_tenant(world.tenant_a)
                for _ in range(4):
                    assert _active_usernames(wrapper) == ALPHA
                assert not isinstance(wrapper.connection, prepared.PreparingConnection)
            assert not pooled.prepares_statements and not off.prepares_statements
        finally:
            for wrapper in (pooled, off):
                wrapper.close()
                del connections[wrapper.alias]


def _as_another_client(sql: str, params: list) -> tuple:
    other = psycopg2.connect(
        **{
            key: value
            for key, value in connection.get_connection_params().items()
            if key not in ("connection_factory", "cursor_factory")
        }
    )
    other.autocommit = True
    try:
        with other.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    finally:
        other.close()


def _last_query_of(wrapper: DatabaseWrapper) -> str:
    pid = wrapper.connection.info.backend_pid
    return _as_another_client("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])[0]


def test_the_health_check_of_a_live_connection_costs_no_round_trip(own):
    assert _active_usernames(own) == ALPHA
    before = _last_query_of(own)
    assert own.is_usable()
    assert _last_query_of(own) == before  # no SELECT 1 reached the server


def test_the_health_check_notices_a_connection_the_server_ended(own):
    assert _active_usernames(own) == ALPHA
    _as_another_client("SELECT pg_terminate_backend(%s)", [own.connection.info.backend_pid])
    deadline = time.monotonic() + 5
    while own.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)  # the server's FATAL message is on its way
    assert not own.is_usable()
    # Django's own path: the request's first query closes it and reconnects.
    own.health_check_done = False
    own.close_if_health_check_failed()
    assert _active_usernames(own) == ALPHA


def _plans_of_users_reads(wrapper: DatabaseWrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(generic_plans + custom_plans), 0) FROM pg_prepared_statements "
            "WHERE statement LIKE %s",
            ['%"people_user"%'],
        )
        return cursor.fetchone()[0]


def test_a_marked_queryset_is_never_prepared_wherever_it_is_evaluated(own):
    people = prepared.planned_for_values(
        User.objects.using(own.alias).exclude(username="nobody").order_by("username")
    )
    for _ in range(8):
        assert list(people.values_list("username", flat=True)) == ALPHA
        assert people.count() == 3
        assert people.filter(username__gt="alice").first().username == "alpha-admin"
    assert not [row for row in _prepared(own) if '"people_user"' in row[1]]
    assert not own.connection.statements.names
    # Raw SQL carrying the marker likewise.
    for _ in range(8):
        with own.cursor() as cursor:
            cursor.execute(f"SELECT 1 + %s {prepared.MARKER}", [1])
            assert cursor.fetchone() == (2,)
    assert not own.connection.statements.names
    # The same read unmarked is prepared (the checks above can fail).
    for _ in range(3):
        _active_usernames(own)
    assert len(own.connection.statements.names) == 1


def test_inside_unprepared_nothing_is_prepared_nor_executed_prepared(own):
    with prepared.unprepared():
        for _ in range(8):
            assert _active_usernames(own) == ALPHA
    assert not own.connection.statements.names
    for _ in range(3):
        _active_usernames(own)  # prepared now, outside the block
    assert len(own.connection.statements.names) == 1
    executions = _plans_of_users_reads(own)
    with prepared.unprepared():
        for _ in range(4):
            assert _active_usernames(own) == ALPHA  # planned for its values, not EXECUTE
    assert _plans_of_users_reads(own) == executions
    _active_usernames(own)
    assert _plans_of_users_reads(own) == executions + 1
