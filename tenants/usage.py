"""An institution's usage counters and quotas: what the apps that add people and bytes
check and count (people, blobs, content), without reaching into the rest of the platform.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.models import Tenant, TenantUsage


class QuotaExceeded(ValidationError):
    """An institution is at one of its quotas."""


class TenantNotWritable(ValidationError):
    """The institution is suspended or read-only."""


def usage_add(tenant: Tenant, **deltas: int) -> None:
    """Add to the institution's counters (people=1, bytes_stored=..., ...) and touch activity."""
    values = {field: F(field) + delta for field, delta in deltas.items() if delta}
    TenantUsage.objects.filter(tenant_id=tenant.pk).update(**values, last_activity=timezone.now())


def quota_check_people(tenant: Tenant, adding: int = 1) -> None:
    if tenant.quota_people is None:
        return
    people = TenantUsage.objects.filter(tenant_id=tenant.pk).values_list("people", flat=True)
    current = people.first() or 0
    if current + adding > tenant.quota_people:
        raise QuotaExceeded(
            _(
                "%(name)s has reached its limit of %(quota_people)s people. Ask the "
                "platform's administrators to raise it."
            )
            % {"name": tenant.name, "quota_people": tenant.quota_people},
            code="quota_people",
        )


def quota_check_storage(tenant: Tenant, adding_bytes: int) -> None:
    if tenant.quota_storage_bytes is None:
        return
    stored = (
        TenantUsage.objects.filter(tenant_id=tenant.pk)
        .values_list("bytes_stored", flat=True)
        .first()
        or 0
    )
    if stored + adding_bytes > tenant.quota_storage_bytes:
        raise QuotaExceeded(
            f"{tenant.name} has used its storage allowance "
            f"({tenant.quota_storage_bytes:,} bytes). Remove files or ask the platform's "
            "administrators to raise it.",
            code="quota_storage",
        )
