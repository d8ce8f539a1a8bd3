"""django-tenants' PostgreSQL backend, issuing `SET search_path` only when it changes.

django-tenants (with ``TENANT_LIMIT_SET_CALLS``) sets the search path once per
connection after each ``set_tenant``; since every request calls ``set_tenant``,
a persistent connection still pays one ``SET`` per request, and the content-type
cache is thrown away each time. Here ``set_tenant`` to the tenant the connection
already points at is a no-op, so consecutive requests for one institution on one
connection run their queries with no ``SET`` at all.

Correctness rests on django-tenants forgetting the applied path whenever the
database may have dropped it: on ``close()`` (also used by the health checks of
``CONN_HEALTH_CHECKS``), ``rollback()`` and ``savepoint_rollback()`` - a ``SET``
is transactional in PostgreSQL.

**Transaction pooling** (PgBouncer ``pool_mode = transaction``, RDS Proxy): a server
connection serves one client for one transaction only, so a session-level ``SET
search_path`` would apply to whichever client gets that server connection next, and
an autocommit query may run on a server connection whose path another client set.
With ``TRANSACTION_POOLING`` in the database settings (``DATABASE_POOLING=transaction``)
no session ``SET`` is ever issued; instead every statement is sent as
``SET LOCAL search_path = ...; <statement>`` in one round trip. PostgreSQL runs a
multi-statement query as one (implicit) transaction, so the path holds for exactly
that statement, or, inside ``atomic()``, for the rest of that transaction - on
whatever server connection the pooler picked for it, and for no other client.

**Prepared statements** (``PREPARED_STATEMENTS``, on unless ``DATABASE_PREPARED_STATEMENTS=off``
or transaction pooling): repeated parameterised reads run as server-side prepared
statements, so PostgreSQL stops planning them (``config.db.prepared``).

**Health checks without a round trip** (``CONN_HEALTH_CHECKS``): Django checks a
persistent connection at the start of each request with ``SELECT 1`` - on a small API
call, a round trip (and a PostgreSQL wake-up) as long as the request's own query. An
idle connection that PostgreSQL has ended (a restart, ``pg_terminate_backend``, an idle
timeout, a pooler going away) has something to read on its socket: the server's FATAL
message or the end of the stream. So ``is_usable`` looks at the socket first: nothing
to read, the connection is as the last statement left it; something to read, or not
idle, Django's ``SELECT 1`` decides as before.
"""

from __future__ import annotations

import select

from django.core.exceptions import ImproperlyConfigured
from django_tenants.postgresql_backend import base as tenants_base
from django_tenants.utils import get_public_schema_name, quote_schema_name
from psycopg2 import extensions

from config.db.prepared import PreparingConnection, PreparingCursor


class SearchPathCursor(extensions.cursor):
    """A psycopg2 cursor that sends its connection's search path with every statement."""

    wrapper: DatabaseWrapper

    def _prefixed(self, query):
        prefix = self.wrapper.search_path_statement()
        if isinstance(query, bytes):
            return prefix.encode() + query
        if isinstance(query, str):
            return prefix + query
        return query  # a psycopg2.sql.Composed: sent as built (not used by Django)

    def execute(self, query, vars=None):
        return super().execute(self._prefixed(query), vars)

    def executemany(self, query, vars_list):
        return super().executemany(self._prefixed(query), vars_list)

    def copy_expert(self, sql, file, size=8192):
        # COPY cannot share a query string; inside atomic() the pooler keeps this
        # transaction on one server connection, so a SET LOCAL just before holds.
        super().execute(self.wrapper.search_path_statement())
        return super().copy_expert(sql, file, size)


class DatabaseWrapper(tenants_base.DatabaseWrapper):
    @property
    def transaction_pooling(self) -> bool:
        return bool(self.settings_dict.get("TRANSACTION_POOLING"))

    @property
    def prepares_statements(self) -> bool:
        return bool(self.settings_dict.get("PREPARED_STATEMENTS")) and not self.transaction_pooling

    def get_connection_params(self) -> dict:
        params = super().get_connection_params()
        if self.prepares_statements:
            params["connection_factory"] = PreparingConnection
            params["cursor_factory"] = PreparingCursor
        return params

    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        if connection.info.transaction_status != extensions.TRANSACTION_STATUS_IDLE:
            return super().is_usable()
        try:
            readable, _writable, _failed = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return super().is_usable() if readable else True

    def search_path_statement(self) -> str:
        """``SET LOCAL search_path = ...;`` for the schema this connection is set to."""
        if not self.schema_name:
            raise ImproperlyConfigured(
                "Database schema not set. Did you forget to call set_schema() or set_tenant()?"
            )
        paths = ", ".join(quote_schema_name(schema) for schema in self._get_cursor_search_paths())
        return f"SET LOCAL search_path = {paths};\n"

    def _handle_search_path(self, cursor=None) -> None:
        if self.transaction_pooling:
            return  # carried by every statement instead (SearchPathCursor)
        super()._handle_search_path(cursor)

    def create_cursor(self, name=None):
        if not self.transaction_pooling:
            return super().create_cursor(name)
        if name:
            raise ImproperlyConfigured(
                "Server-side cursors do not work through a transaction pooler; "
                "set DISABLE_SERVER_SIDE_CURSORS (DATABASE_POOLING=transaction does)."
            )
        cursor = self.connection.cursor(cursor_factory=SearchPathCursor)
        cursor.wrapper = self
        return cursor

    def set_tenant(self, tenant, include_public: bool = True) -> None:
        unchanged = (
            self.tenant is not None
            and self.schema_name == tenant.schema_name
            and getattr(self, "include_public_schema", None) == include_public
        )
        if not unchanged:
            super().set_tenant(tenant, include_public)
            return
        # Same schema: keep the applied search path and the content-type cache,
        # but hold the caller's tenant object (it may carry fresher fields).
        self.tenant = tenant
        if tenants_base.EXTRA_SET_TENANT_METHOD:
            tenants_base.EXTRA_SET_TENANT_METHOD(self, tenant)

    def set_schema_to_public(self) -> None:
        if self.schema_name == get_public_schema_name() and self.tenant is not None:
            return
        super().set_schema_to_public()
