"""Reads of the platform site: finding one's institution."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Prefetch, Q

from config.db.lookups import ContainsCaseless
from config.db.prepared import planned_for_values
from tenants.models import Domain, Tenant, TenantStatus

FIND_MIN_LENGTH = 3
FIND_LIMIT = 10


@dataclass(frozen=True)
class FoundInstitution:
    name: str
    hostname: str


def institutions_find(query: str) -> list[FoundInstitution]:
    """Institutions whose name contains ``query``, or whose address matches an e-mail's domain.

    ``ada@cs.uni.example`` finds the institution at ``cs.uni.example`` or ``uni.example`` (a
    custom domain). Only names and addresses are returned: nothing about anyone in them.
    Institutions being deleted are never listed. At most FIND_LIMIT, two queries.
    """
    query = (query or "").strip()[:200]
    if len(query) < FIND_MIN_LENGTH:
        return []
    # ILIKE, which the name's trigram index serves (tenants.0008; icontains' UPPER() cannot).
    condition = Q(ContainsCaseless(F("name"), query))
    if "@" in query:
        domain = query.rsplit("@", 1)[1].lower().strip(".")
        parts = domain.split(".")
        # The domain and each parent with at least two labels: cs.uni.example, uni.example.
        candidates = [".".join(parts[i:]) for i in range(len(parts) - 1)] if domain else []
        condition = Q(domains__domain__in=candidates) if candidates else Q(pk__in=[])
    primary = Prefetch(
        "domains", queryset=Domain.objects.filter(is_primary=True), to_attr="primary"
    )
    # Planned for its words, never as a prepared statement (config.db.prepared).
    found = planned_for_values(Tenant.objects.filter(condition))
    tenants = (
        found.exclude(status=TenantStatus.DELETING)
        .exclude(schema_name="public")
        .distinct()
        .order_by("name", "id")
        .prefetch_related(primary)[:FIND_LIMIT]
    )
    return [
        FoundInstitution(name=tenant.name, hostname=tenant.primary[0].domain)
        for tenant in tenants
        if tenant.primary
    ]
