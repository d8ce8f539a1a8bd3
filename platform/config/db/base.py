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
"""

from __future__ import annotations

from django_tenants.postgresql_backend import base as tenants_base
from django_tenants.utils import get_public_schema_name


class DatabaseWrapper(tenants_base.DatabaseWrapper):
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
