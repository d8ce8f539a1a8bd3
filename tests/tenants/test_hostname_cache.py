"""The hostname cache (tenants.selectors): long-lived, bounded, and never holding an answer
older than its last invalidation - which is what lets its TTL be a minute rather than a few
seconds (README, "The fleet": routing over thousands of hosts)."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config import localcache
from tenants import selectors
from tenants.models import Domain

pytestmark = pytest.mark.django_db


def test_a_host_seen_within_the_ttl_costs_no_query(world, settings):
    settings.TENANT_CACHE_SECONDS = 60
    assert selectors.tenant_for_hostname(world.host_a) == world.tenant_a
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert selectors.tenant_for_hostname(world.host_a) == world.tenant_a
    assert len(queries) == 0


def test_the_cache_keeps_at_most_its_size_least_recently_used_first(world, settings):
    settings.TENANT_CACHE_MAX_ENTRIES = 2
    selectors.tenant_for_hostname(world.host_a)
    selectors.tenant_for_hostname(world.host_b)
    selectors.tenant_for_hostname(world.host_a)  # a is now the most recent
    assert selectors.tenant_for_hostname("nobody.example") is None
    assert list(selectors._cache) == [world.host_a, "nobody.example"]


def test_an_answer_read_while_the_cache_was_cleared_is_not_kept(world, monkeypatch):
    """A lookup that overlapped a clear (a domain removed by another request) may have read
    the old row: it is answered but not stored, so the next request reads again."""
    domain = Domain.objects.create(domain="race.alpha.example", tenant=world.tenant_a)
    real_lookup = selectors._lookup

    def lookup_then_cleared(hostname: str):
        found = real_lookup(hostname)
        domain.delete()  # committed elsewhere meanwhile: the signal clears the cache
        return found

    monkeypatch.setattr(selectors, "_lookup", lookup_then_cleared)
    assert selectors.tenant_for_hostname("race.alpha.example") == world.tenant_a
    assert "race.alpha.example" not in selectors._cache
    monkeypatch.setattr(selectors, "_lookup", real_lookup)
    assert selectors.tenant_for_hostname("race.alpha.example") is None


def test_a_listener_that_could_not_start_is_retried_and_starts_from_empty_caches(
    world, settings, monkeypatch
):
    monkeypatch.setattr(localcache, "_listener_pid", None)  # as in a new process
    monkeypatch.setattr(localcache, "_listener_retry_at", {})
    monkeypatch.setattr(localcache, "_listener_thread", None)
    reachable = settings.REDIS_URL
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    selectors.tenant_for_hostname(world.host_a)  # answered (and cached) without Redis
    assert localcache._listener_pid is None
    assert world.host_a in selectors._cache
    settings.REDIS_URL = reachable
    selectors.tenant_for_hostname(world.host_a)  # too soon: not tried again
    assert localcache._listener_pid is None and world.host_a in selectors._cache
    monkeypatch.setattr(localcache, "LISTENER_RETRY_SECONDS", 0.0)
    localcache._listener_retry_at.update(dict.fromkeys(localcache._listener_retry_at, 0.0))
    selectors.tenant_for_hostname(world.host_b)
    started = localcache._listener_thread
    try:
        assert localcache._listener_pid is not None and started is not None
        # Invalidations may have been missed while it was down: what was cached is gone.
        assert world.host_a not in selectors._cache
    finally:
        if started is not None:
            started.stop()  # this process's own listener (restored after the test) goes on
            started.join(timeout=5)


def test_entries_stored_together_do_not_expire_together(world, settings):
    """A warm-up stores thousands of hosts in the same second: with one fixed TTL they all
    expired in the same second too, a wave of misses every minute (README, "The fleet")."""
    settings.TENANT_CACHE_SECONDS = 60
    selectors.tenant_cache_clear()
    hosts = [f"nobody-{n}.example" for n in range(200)]
    for host in hosts:
        assert selectors.tenant_for_hostname(host) is None
    expiries = [selectors._cache[host][0] for host in hosts]
    spread = max(expiries) - min(expiries)
    assert spread > 15  # uniform over 30 s: 200 draws span far more than half of it
    lowest = 60 * (1 - selectors.TTL_SPREAD)
    # every entry still lives at least half the TTL and at most all of it
    now = time.monotonic()
    assert all(now + lowest - 1 <= expiry <= now + 60 for expiry in expiries)
