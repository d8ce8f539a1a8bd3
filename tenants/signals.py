"""Drop cached hostname -> tenant answers as soon as a tenant or domain changes."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tenants.models import Domain, Tenant
from tenants.selectors import tenant_cache_clear, tenant_cache_clear_everywhere


@receiver([post_save, post_delete], sender=Tenant)
@receiver([post_save, post_delete], sender=Domain)
def _invalidate_tenant_cache(**_kwargs) -> None:
    # At once here (this process must not serve its own stale answer), and again
    # everywhere once the change is visible to other connections.
    tenant_cache_clear()
    transaction.on_commit(tenant_cache_clear_everywhere)
