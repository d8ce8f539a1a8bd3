"""Transaction pooling: two institutions interleaved on one PgBouncer server connection.

`make test` starts Debian's PgBouncer in transaction mode with ONE server connection
per database (deploy/dev/stack.py), so every client below shares that connection:
whatever one leaves in the session, the next one inherits. With
``TRANSACTION_POOLING`` the search path travels with each statement (``SET LOCAL``)
and never crosses; without it (the control) it does, which shows that the test can fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg2
import pytest
from django.db import connection, connections, transaction

from config.db.base import DatabaseWrapper
from tenant_apps.people.models import User

PORT = os.environ.get("OAE_TEST_PGBOUNCER_PORT")
pytestmark = pytest.mark.skipif(not PORT, reason="runs under make test (PgBouncer on loopback)")


def _pooled(alias: str, *, pooling: bool) -> DatabaseWrapper:
    settings = {
        **connection.settings_dict,
        "HOST": "127.0.0.1",
        "PORT": PORT,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "TRANSACTION_POOLING": pooling,
        "DISABLE_SERVER_SIDE_CURSORS": True,
    }
    wrapper = DatabaseWrapper(settings, alias=alias)
    connections[alias] = wrapper
    return wrapper


@pytest.fixture
def two_clients(
    world, request, django_db_blocker
) -> Iterator[tuple[DatabaseWrapper, DatabaseWrapper]]:
    """Two clients of the pooler, one in each institution (whose rows are committed)."""
    pooling = request.param
    with django_db_blocker.unblock():
        a = _pooled("pooled_alpha", pooling=pooling)
        b = _pooled("pooled_beta", pooling=pooling)
        a.set_tenant(world.tenant_a)
        b.set_tenant(world.tenant_b)
        try:
            yield a, b
        finally:
            for wrapper in (a, b):
                wrapper.close()
                del connections[wrapper.alias]
            _bouncer_release()


def _bouncer_release() -> None:
    """Make PgBouncer close its server connection: the test database is dropped at the end."""
    admin = psycopg2.connect(
        host="127.0.0.1", port=PORT, user=connection.settings_dict["USER"], dbname="pgbouncer"
    )
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            name = connection.settings_dict["NAME"]
            cursor.execute(f"KILL {name}")
            cursor.execute(f"RESUME {name}")
    finally:
        admin.close()


def _usernames(wrapper: DatabaseWrapper) -> list[str]:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT username FROM people_user ORDER BY username")
        return [row[0] for row in cursor.fetchall()]


def _bouncer_search_path() -> str:
    """What a third, plain client of the pooler finds in the (single) server session."""
    with (
        psycopg2.connect(
            host="127.0.0.1",
            port=PORT,
            user=connection.settings_dict["USER"],
            dbname=connection.settings_dict["NAME"],
        ) as plain,
        plain.cursor() as cursor,
    ):
        cursor.execute("SHOW search_path")
        return cursor.fetchone()[0]


ALPHA = ["alice", "alpha-admin", "bob"]
BETA = ["charlie"]


@pytest.mark.parametrize("two_clients", [True], indirect=True)
def test_interleaved_institutions_never_see_each_others_rows(two_clients, world):
    a, b = two_clients
    for _ in range(10):  # autocommit statements, alternating on one server connection
        assert _usernames(a) == ALPHA
        assert _usernames(b) == BETA
    for _ in range(5):  # transactions, alternating
        with transaction.atomic(using=a.alias):
            assert _usernames(a) == ALPHA
            assert User.objects.using(a.alias).filter(username="alice").exists()
        with transaction.atomic(using=b.alias):
            assert _usernames(b) == BETA
            assert not User.objects.using(b.alias).filter(username="alice").exists()
        assert _usernames(a) == ALPHA
    # A client switching institutions between statements follows at once.
    a.set_tenant(world.tenant_b)
    assert _usernames(a) == BETA
    # Nothing is left in the server's session for the next client of the pooler.
    assert "t_" not in _bouncer_search_path()


@pytest.mark.parametrize("two_clients", [False], indirect=True)
def test_without_it_a_session_search_path_crosses_institutions(two_clients):
    # The control: django-tenants' session-level SET through a transaction pooler.
    a, b = two_clients
    assert _usernames(a) == ALPHA  # a sets its path on the one server connection
    assert _usernames(b) == BETA  # b sets its own there
    assert _usernames(a) == BETA  # a believes its path is still set: it reads b's rows
    assert "t_beta" in _bouncer_search_path()  # and it leaks to any other client
