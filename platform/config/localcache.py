"""Per-process caches of rows every request needs, invalidated in every process at once.

A ``LocalCache`` keeps copies of rarely changing rows (the institution's profile, the
signed-in user, a bearer token) in this process's memory, keyed by the institution's
schema and the row's key: two institutions with the same ids never share an entry.
A write calls ``forget_everywhere``: this process forgets the entry at once, and after
commit every process (this one included) forgets it through the Redis channel the
hostname cache already uses (``oae:tenant-cache:clear``, one listener thread per
process). The message ``clear`` (a tenant or domain changed: ``tenants.selectors``)
empties every cache, so does a lost Redis connection (messages may have been missed).
If Redis is unreachable, the TTL (``LOCAL_CACHE_SECONDS``) bounds a stale answer.

Entries are stored only from committed data: not inside an atomic block (a write in
the same transaction may roll back), and not when a ``forget`` ran while the row was
being read (a generation counter), so an old row can never outlive its invalidation.
"""

from __future__ import annotations

import copy
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

import redis
import structlog
from django.conf import settings
from django.db import connection, transaction

log = structlog.get_logger(__name__)

CHANNEL = "oae:tenant-cache:clear"
CLEAR_ALL = "clear"
T = TypeVar("T")
_MISSING = object()

# By name; a name may have several instances (a test's stand-in for another process).
_caches: dict[str, list[LocalCache]] = {}
_clear_all_hooks: list[Callable[[], None]] = []
_listener_pid: int | None = None
# A listener that could not start is tried again after this long (per process id).
LISTENER_RETRY_SECONDS = 10.0
# Keys a message of ``forget_now_everywhere`` carries at most (a post to a large group
# notifies thousands).
BROADCAST_KEYS = 1000
_listener_retry_at: dict[int, float] = {}
_listener_thread = None  # this process's subscriber (redis-py's PubSubWorkerThread)
_listener_lock = threading.Lock()


def _schema() -> str:
    return getattr(connection, "schema_name", None) or "public"


def _in_real_transaction() -> bool:
    # A test's own atomic blocks (pytest-django, TestCase) do not count: they wrap
    # everything and roll back only what the test wrote, after the caches are cleared.
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


class LocalCache(Generic[T]):
    """A small LRU of copies of rows, per (schema, key), for ``seconds``."""

    def __init__(self, name: str, *, max_entries: int = 10_000) -> None:
        self.name = name
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, Hashable], tuple[float, T]] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0
        _caches.setdefault(name, []).append(self)

    @property
    def seconds(self) -> float:
        return settings.LOCAL_CACHE_SECONDS

    def get(self, key: Hashable, load: Callable[[], T | None]) -> T | None:
        """A copy of the cached row of (this schema, ``key``), else ``load()``'s, cached.

        ``None`` from ``load`` (no such row) is not cached."""
        if self.seconds <= 0:
            return load()
        ensure_listener()
        full = (_schema(), key)
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(full)
            if hit is not None and hit[0] > now:
                self._entries.move_to_end(full)
                return copy.copy(hit[1])
            generation = self._generation
        value = load()
        if value is None or _in_real_transaction():
            return value
        with self._lock:
            if self._generation == generation:
                self._entries[full] = (now + self.seconds, copy.copy(value))
                self._entries.move_to_end(full)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return value

    def update(self, key: Hashable, change: Callable[[T], None]) -> None:
        """Apply ``change`` to this process's cached copy, if any (for bookkeeping fields
        no other process needs at once, such as a token's last use)."""
        with self._lock:
            hit = self._entries.get((_schema(), key))
            if hit is not None:
                change(hit[1])

    def forget(self, key: Hashable, *, schema: str | None = None) -> None:
        """Forget (schema, key) in this process."""
        with self._lock:
            self._generation += 1
            self._entries.pop((schema or _schema(), key), None)

    def forget_everywhere(self, key: Hashable) -> None:
        """Forget (this schema, key) here now, and in every process after commit."""
        schema = _schema()
        self.forget(key, schema=schema)
        message = json.dumps({"cache": self.name, "schema": schema, "key": key})

        def broadcast() -> None:
            self.forget(key, schema=schema)
            publish(message)

        transaction.on_commit(broadcast)

    def forget_schema(self, schema: str) -> None:
        """Forget every entry of ``schema`` in this process."""
        with self._lock:
            self._generation += 1
            for full in [full for full in self._entries if full[0] == schema]:
                del self._entries[full]

    def forget_now_everywhere(self, keys: list[Hashable] | None) -> None:
        """Forget ``keys`` of this schema (all of its entries with ``None``) here and in every
        process, now: for callers that call again after their commit (a process that
        read the old value between the two forgets it then)."""
        schema = _schema()
        if keys is None:
            self.forget_schema(schema)
            publish(json.dumps({"cache": self.name, "schema": schema, "all": True}))
            return
        for key in keys:
            self.forget(key, schema=schema)
        for start in range(0, len(keys), BROADCAST_KEYS):
            chunk = list(keys[start : start + BROADCAST_KEYS])
            publish(json.dumps({"cache": self.name, "schema": schema, "keys": chunk}))

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def cached(self, key: Hashable, *, schema: str | None = None) -> bool:
        """Whether (schema, key) has a live entry in this instance (for tests and benches)."""
        hit = self._entries.get((schema or _schema(), key))
        return hit is not None and hit[0] > time.monotonic()

    def close(self) -> None:
        """Stop receiving invalidations (a test's stand-in instance)."""
        self.clear()
        instances = _caches.get(self.name, [])
        if self in instances:
            instances.remove(self)


def clear_all() -> None:
    """Empty every local cache of this process (and run the hooks, the hostname cache's)."""
    for caches in list(_caches.values()):
        for cache in list(caches):
            cache.clear()
    for hook in list(_clear_all_hooks):
        hook()


def on_clear_all(hook: Callable[[], None]) -> None:
    """Run ``hook`` whenever every cache is cleared (a ``clear`` message, a lost listener)."""
    if hook not in _clear_all_hooks:
        _clear_all_hooks.append(hook)


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=1,
        socket_timeout=5,
        health_check_interval=30,
    )


def publish(message: str) -> None:
    try:
        redis_client().publish(CHANNEL, message)
    except redis.RedisError:
        log.warning("cache invalidation not broadcast", exc_info=True)


def handle(message: Any) -> None:
    """A message of the channel: ``clear``, or one cache's (schema, key), (schema, keys) or
    (schema, all) as JSON."""
    data = message["data"] if isinstance(message, dict) else message
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    if data == CLEAR_ALL:
        clear_all()
        return
    try:
        parsed = json.loads(data)
        # A process that never made this cache has nothing of it to forget.
        caches = _caches.get(parsed["cache"], [])
        schema = parsed["schema"]
        if parsed.get("all"):
            for cache in list(caches):
                cache.forget_schema(schema)
            return
        keys = parsed["keys"] if "keys" in parsed else [parsed["key"]]
        for key in keys:
            for cache in list(caches):
                cache.forget(tuple(key) if isinstance(key, list) else key, schema=schema)
    except (ValueError, KeyError, TypeError):
        log.warning("unreadable cache invalidation", message=str(data)[:200])


def _listener_error(error: BaseException, pubsub, thread) -> None:
    # Keep listening (redis-py reconnects and re-subscribes on the next read), but
    # messages may have been lost meanwhile: start again from empty caches.
    log.warning("cache invalidation listener lost Redis", error=str(error))
    clear_all()
    time.sleep(1)


def ensure_listener() -> None:
    """Start this process's subscriber thread once (again after a fork).

    If Redis cannot be reached, the caches rely on their TTL and the start is tried again
    after ``LISTENER_RETRY_SECONDS`` (not on every request); a listener started late first
    empties the caches, since invalidations were missed meanwhile."""
    global _listener_pid, _listener_thread
    pid = os.getpid()
    if _listener_pid == pid:
        return
    with _listener_lock:
        if _listener_pid == pid or time.monotonic() < _listener_retry_at.get(pid, 0.0):
            return
        _listener_pid = pid
    late = pid in _listener_retry_at
    try:
        pubsub = redis_client().pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(**{CHANNEL: handle})
        _listener_thread = pubsub.run_in_thread(
            sleep_time=1.0, daemon=True, exception_handler=_listener_error
        )
    except redis.RedisError:
        log.warning("cache invalidation listener not started; relying on the TTL", exc_info=True)
        with _listener_lock:
            _listener_pid = None
            _listener_retry_at[pid] = time.monotonic() + LISTENER_RETRY_SECONDS
        return
    if late:
        _listener_retry_at.pop(pid, None)
        clear_all()
