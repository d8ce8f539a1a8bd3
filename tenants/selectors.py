"""Reads of the public schema's tenant tables.

``tenant_for_hostname`` is on every request's path, so its answers (including
"no such host") are kept in a per-process LRU for ``TENANT_CACHE_SECONDS`` (60 s) and at
most ``TENANT_CACHE_MAX_ENTRIES`` hostnames (20,000: two per institution at 10,000).
A change to a tenant or domain (``tenants.signals``) clears this process's cache at
once and, after commit, tells every other process through a Redis channel that a
listener thread in each process subscribes to (``config.localcache``'s, shared with
the other per-process caches; a lost Redis connection clears them too). So the TTL only
bounds how long a stale answer can live while Redis is unreachable, and can be as long
as the other local caches': a short one made every request to an institution not seen
for a few seconds pay the lookup (README, "The fleet": routing over many hosts).
An answer read while a clear happened is not stored (a generation counter), so an old
row never outlives its invalidation. Each entry lives a random share of the TTL (between
half and all of it): entries stored together (a warm-up, a restart under traffic) would
otherwise all expire together, and every TTL a wave of misses would pass through a process
serving thousands of hosts (README, "The fleet").
"""

from __future__ import annotations

import random
import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db.models import BigIntegerField, F, Q, Value

from config import localcache
from config.db.lookups import ContainsCaseless, EqualsAny
from config.db.prepared import planned_for_values
from tenants.models import Domain, Tenant

_cache: OrderedDict[str, tuple[float, Tenant | None]] = OrderedDict()
_lock = threading.Lock()
_generation = 0  # bumped by every clear: a lookup that overlapped one is not stored
TTL_SPREAD = 0.5  # an entry lives between (1 - TTL_SPREAD) and 1 times the TTL


def tenant_cache_clear() -> None:
    """Forget every cached hostname answer (this process only)."""
    global _generation
    with _lock:
        _generation += 1
        _cache.clear()


def tenant_cache_clear_everywhere() -> None:
    """Clear this process's cache and tell every other process to clear theirs.

    The message (``clear``) empties every process's local caches (config.localcache),
    the institutions' profiles, users and tokens included: a deleted institution's
    schema name may come back with other rows under the same ids."""
    tenant_cache_clear()
    localcache.publish(localcache.CLEAR_ALL)


CACHE_CHANNEL = localcache.CHANNEL
localcache.on_clear_all(tenant_cache_clear)


def ensure_cache_listener() -> None:
    """Start this process's subscriber thread once (again after a fork)."""
    localcache.ensure_listener()


def _lookup(hostname: str) -> Tenant | None:
    # No switch to the public schema first: the search path always ends in
    # `public`, and no tenant schema has a table of this name, so the query finds
    # the public table from whatever schema the connection points at. No ORDER BY
    # (``first()`` would sort by the model's ordering): the domain is unique.
    domain = Domain.objects.select_related("tenant").filter(domain=hostname).order_by()[:1]
    found = list(domain)
    return found[0].tenant if found else None


def tenant_for_hostname(hostname: str) -> Tenant | None:
    """The tenant a hostname routes to, or None. Does not look at the tenant's status."""
    ttl = settings.TENANT_CACHE_SECONDS
    now = time.monotonic()
    if ttl > 0:
        ensure_cache_listener()
        with _lock:
            hit = _cache.get(hostname)
            if hit is not None and hit[0] > now:
                _cache.move_to_end(hostname)
                return hit[1]
            generation = _generation
    tenant = _lookup(hostname)
    if ttl > 0:
        expires = now + ttl * (1.0 - TTL_SPREAD * random.random())  # noqa: S311 (not secret)
        with _lock:
            if generation == _generation:
                _cache[hostname] = (expires, tenant)
                _cache.move_to_end(hostname)
                while len(_cache) > settings.TENANT_CACHE_MAX_ENTRIES:
                    _cache.popitem(last=False)
    return tenant


def tenant_by_slug(slug: str) -> Tenant | None:
    return Tenant.objects.filter(slug=slug).first()


def tenant_primary_hostname(tenant: Tenant) -> str | None:
    domain = tenant.domains.filter(is_primary=True).first()
    return domain.domain if domain else None


def tenant_base_url(tenant: Tenant) -> str:
    """The institution's own address for links in mail: its primary domain with the
    configured scheme and port, never a request's Host header (which a client chooses)."""
    host = tenant_primary_hostname(tenant) or f"{tenant.slug}.{settings.PLATFORM_DOMAIN}"
    return f"{settings.PLATFORM_URL_SCHEME}://{host}{settings.PLATFORM_URL_PORT}"


CONSOLE_SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "created": ("created", "id"),
    "-created": ("-created", "-id"),
    "people": ("usage__people", "id"),
    "-people": ("-usage__people", "-id"),
    "stored": ("usage__bytes_stored", "id"),
    "-stored": ("-usage__bytes_stored", "-id"),
    "activity": ("usage__last_activity", "id"),
    "-activity": ("-usage__last_activity", "-id"),
}


def tenant_search(search: str) -> Q:
    """The condition "the name, the slug or any host name contains ``search``",
    case-insensitively, for ``Tenant.objects.filter()``; reads the matching host names'
    institutions first (one query).

    ``ILIKE`` (``ContainsCaseless``), which the trigram indexes of tenants.0008 serve
    (Django's ``icontains``, ``UPPER(col) LIKE UPPER(...)``, they cannot); the host names'
    institutions go in as a constant array (``id = ANY(...)``), which PostgreSQL can read
    from the primary key as one arm of a BitmapOr and tests by hashing when it filters. So
    a rare word costs what it finds, and a frequent one is still read in the list's order
    until a page is full. Measured with 20,000 institutions (README, "The fleet"): a rare
    word's page and count 0.3-1 ms instead of 60-120 ms. Callers keep the statement planned
    for its words (``planned_for_values``): which plan is right depends on the word.
    """
    hosts = planned_for_values(Domain.objects.filter(ContainsCaseless(F("domain"), search)))
    host_tenants = sorted(set(hosts.order_by().values_list("tenant_id", flat=True)))
    condition = Q(ContainsCaseless(F("name"), search)) | Q(ContainsCaseless(F("slug"), search))
    if host_tenants:
        ids = Value(host_tenants, output_field=ArrayField(BigIntegerField()))
        condition |= Q(EqualsAny(F("pk"), ids))
    return condition


def tenants_for_console(*, search: str = "", status: str = "", sort: str = "name"):
    """Institutions with their usage and domains, filtered and sorted (a bounded query count)."""
    queryset = Tenant.objects.select_related("usage").prefetch_related("domains")
    search = search.strip()
    if search:
        queryset = planned_for_values(queryset.filter(tenant_search(search)))
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by(*CONSOLE_SORTS.get(sort, CONSOLE_SORTS["name"]))
