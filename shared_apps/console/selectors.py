"""Reads for the platform console and the platform API (public schema only).

The institution list is sorted by one value and then the primary key, so it can be
paged by key (see ``keyset``); a page costs two queries (institutions with their
usage, then their domains) whatever its length or depth, and each sort is one index's
order, so a page reads its rows from that index at the cursor: the same work with 10
institutions or 10,000 (tests/shared_apps/console/test_list_scale.py). The total shown
above the list is counted up to ``COUNT_UP_TO`` ("more than 1,000") for the same reason.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.db.prepared import planned_for_values
from config.keyset import Ordering
from shared_apps.audit.models import AuditEntry
from shared_apps.audit.selectors import audit_entries
from tenant_apps.people.models import AccessToken, User
from tenants.models import ActivityKey, Domain, Tenant, TenantTraffic
from tenants.selectors import tenant_search

# ?sort= values of the console's list: (expression annotated as ``sort_value``, kind,
# tie-breaker). Each (value, tie-breaker) is an index's key (tenants.models): the usage
# sorts read the usage table's index, their tie-breaker its copy of the institution's id.
TENANT_SORTS = {
    "name": (F("name"), "str", "pk"),
    "created": (F("created"), "datetime", "pk"),
    "people": (F("usage__people"), "int", "usage__tenant_id"),
    "stored": (F("usage__bytes_stored"), "int", "usage__tenant_id"),
    # Institutions never active sort as if last active at the epoch.
    "activity": (ActivityKey("usage__last_activity"), "datetime", "usage__tenant_id"),
}
TENANT_SORT_LABELS = {
    "name": _("Name"),
    "created": _("Created"),
    "people": _("People"),
    "stored": _("Bytes stored"),
    "activity": _("Last activity"),
}
DEFAULT_TENANT_SORT = "name"
# The total above the list is counted up to this many (then "more than"): an exact count
# reads every matching institution, the one part of a page that grew with the fleet.
COUNT_UP_TO = 1000


def console_tenants(*, search: str = "", status: str = "") -> QuerySet[Tenant]:
    """Institutions with usage and domains, filtered by a search term and a status.

    ``search`` matches the name, the slug or any host name, case-insensitively.
    Unordered: callers order it (``tenant_sorted`` or the API's pagination).
    """
    tenants = Tenant.objects.select_related("usage").prefetch_related("domains")
    search = search.strip()
    if search:
        # No join: no duplicate rows, no DISTINCT to fight the ordering; each condition
        # can be served by a trigram index (tenants.selectors.tenant_search).
        tenants = tenants.filter(tenant_search(search))
        tenants = planned_for_values(tenants)  # planned for its words (config.db.prepared)
    if status:
        tenants = tenants.filter(status=status)
    return tenants


def tenant_sorted(tenants: QuerySet[Tenant], sort: str) -> tuple[QuerySet[Tenant], Ordering]:
    """``tenants`` annotated with the sort key of ``sort`` ("people", "-people", ...)."""
    descending = sort.startswith("-")
    name = sort.removeprefix("-")
    if name not in TENANT_SORTS:
        name, descending = DEFAULT_TENANT_SORT, False
    expression, kind, tiebreak = TENANT_SORTS[name]
    if tiebreak != "pk":
        # Every institution has its usage row (tenant_create, tenants.0009): an inner
        # join, whose order the usage table's index can give (an outer join's cannot).
        tenants = tenants.filter(usage__isnull=False)
    return (
        tenants.annotate(sort_value=expression),
        Ordering(field="sort_value", kind=kind, descending=descending, tiebreak=tiebreak),
    )


def tenant_count(tenants: QuerySet[Tenant]) -> tuple[int, bool]:
    """How many institutions ``tenants`` holds, counted up to ``COUNT_UP_TO``: (count,
    whether there are more). Reads at most ``COUNT_UP_TO + 1`` rows of an index."""
    counted = tenants.order_by().values("pk")[: COUNT_UP_TO + 1].count()
    return min(counted, COUNT_UP_TO), counted > COUNT_UP_TO


def tenant_domains(tenants: list[Tenant]) -> dict[int, list[str]]:
    """The host names of ``tenants`` by institution id, in name order, in one query of
    (id, name) pairs: no queryset, manager and model per institution and host name
    (``prefetch_related`` builds all three: a fifth of the list page's time for 50 rows)."""
    domains: dict[int, list[str]] = {tenant.pk: [] for tenant in tenants}
    if domains:
        pairs = Domain.objects.filter(tenant_id__in=list(domains)).order_by("domain")
        for tenant_id, domain in pairs.values_list("tenant_id", "domain"):
            domains[tenant_id].append(domain)
    return domains


def console_tenant(slug: str) -> Tenant | None:
    """One institution by slug, with its usage and domains, whatever its status."""
    return console_tenants().filter(slug=slug).first()


AUDIT_ORDERING = Ordering(field="created", kind="datetime", descending=True)


def console_audit(*, target: str = "", verb: str = "") -> QuerySet[AuditEntry]:
    return audit_entries(target=target.strip() or None, verb=verb.strip() or None)


def audit_with_actors(entries: list[AuditEntry]) -> list[AuditEntry]:
    """Sets ``entry.who`` on each entry: an admin's username (one query), else the actor.

    Entries name admins by public id (which outlives a rename); the console shows
    the username they have now.
    """
    ids = {entry.actor for entry in entries if entry.actor_kind == "admin"}
    names = (
        dict(User.objects.filter(public_id__in=ids).values_list("public_id", "username"))
        if ids
        else {}
    )
    for entry in entries:
        entry.who = names.get(entry.actor, entry.actor)
    return entries


def admin_tokens(user: User) -> QuerySet[AccessToken]:
    """A platform admin's own access tokens, newest first."""
    return AccessToken.objects.filter(user=user).order_by("-created", "-id")


def tenant_traffic_day(tenant: Tenant) -> dict:
    """The last 24 hours of one institution: hourly rows (newest first) and totals."""
    since = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    rows = list(TenantTraffic.objects.filter(tenant=tenant, hour__gte=since).order_by("-hour"))
    requests = sum(row.requests for row in rows)
    tasks = sum(row.tasks for row in rows)
    for row in rows:
        row.mean_ms = round(row.latency_ms / row.requests) if row.requests else None
        row.mean_queue_ms = round(row.queue_ms / row.tasks) if row.tasks else None
    return {
        "rows": rows,
        "requests": requests,
        "errors": sum(row.errors for row in rows),
        "mean_ms": round(sum(row.latency_ms for row in rows) / requests) if requests else None,
        "tasks": tasks,
        "mean_queue_ms": round(sum(row.queue_ms for row in rows) / tasks) if tasks else None,
    }
