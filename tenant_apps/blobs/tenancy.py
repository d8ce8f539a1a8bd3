"""Which institution the connection is on (its uuid names the blob prefix)."""

from __future__ import annotations

from django.db import connection

from tenants.models import Tenant


def current_tenant():
    """The institution whose schema the connection is on; LookupError on the public schema."""
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Tenant):
        return tenant
    found = Tenant.objects.filter(schema_name=connection.schema_name).first()
    if found is None:
        raise LookupError(f"schema {connection.schema_name!r} is no institution's")
    return found
