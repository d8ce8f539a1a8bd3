"""The default database alias served, for a test, by a fresh connection in autocommit.

pytest-django's own connection runs each test inside a transaction, where
``config.db.prepared`` never prepares a statement; a request's connection is in
autocommit, where repeated reads are prepared. Tests about which reads may become
prepared statements run on this one (what they read was committed by the world's setup;
they write nothing).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connection, connections

from config.db.base import DatabaseWrapper


@contextmanager
def autocommit_default(tenant=None) -> Iterator[DatabaseWrapper]:
    """``connections["default"]`` in autocommit with prepared statements on, in ``tenant``'s
    schema (the public schema when None), for the block."""
    original = connections[DEFAULT_DB_ALIAS]
    wrapper = DatabaseWrapper(
        {**connection.settings_dict, "CONN_MAX_AGE": 0, "PREPARED_STATEMENTS": True},
        alias=DEFAULT_DB_ALIAS,
    )
    if tenant is None:
        wrapper.set_schema_to_public()
    else:
        wrapper.set_tenant(tenant)
    connections[DEFAULT_DB_ALIAS] = wrapper
    try:
        yield wrapper
    finally:
        connections[DEFAULT_DB_ALIAS] = original
        wrapper.close()


def prepared_texts(wrapper: DatabaseWrapper) -> list[str]:
    """The statements PostgreSQL holds prepared on ``wrapper``'s connection."""
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]
