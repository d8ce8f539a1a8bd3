"""Reads of the public schema's tenant tables.

``tenant_for_hostname`` is on every request's path, so its answers (including
"no such host") are kept in a small per-process LRU for ``TENANT_CACHE_SECONDS``.
A change to a tenant or domain (``tenants.signals``) clears this process's cache at
once and, after commit, tells every other process through a Redis channel that a
listener thread in each process subscribes to (``config.localcache``'s, shared with
the other per-process caches). If Redis is unreachable the TTL
still bounds how long a stale answer can live.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from django.conf import settings

from config import localcache
from tenants.models import Domain, Tenant

_CACHE_MAX_ENTRIES = 10_000  # bounds memory against floods of made-up Host headers
_cache: OrderedDict[str, tuple[float, Tenant | None]] = OrderedDict()
_lock = threading.Lock()


def tenant_cache_clear() -> None:
    """Forget every cached hostname answer (this process only)."""
    with _lock:
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
    # the public table from whatever schema the connection points at.
    domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
    return domain.tenant if domain is not None else None


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
    tenant = _lookup(hostname)
    if ttl > 0:
        with _lock:
            _cache[hostname] = (now + ttl, tenant)
            _cache.move_to_end(hostname)
            while len(_cache) > _CACHE_MAX_ENTRIES:
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


def tenants_for_console(*, search: str = "", status: str = "", sort: str = "name"):
    """Institutions with their usage and domains, filtered and sorted (a bounded query count)."""
    from django.db.models import Q

    queryset = Tenant.objects.select_related("usage").prefetch_related("domains")
    if search:
        queryset = queryset.filter(
            Q(name__icontains=search)
            | Q(slug__icontains=search)
            | Q(domains__domain__icontains=search)
        ).distinct()
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by(*CONSOLE_SORTS.get(sort, CONSOLE_SORTS["name"]))
