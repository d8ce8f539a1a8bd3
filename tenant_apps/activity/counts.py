"""The cached unread count of each person's notifications (Redis, per institution).

Kept apart from the selectors so that the recorder (services), which every feature's
services import, depends on nothing but the cache.

A person's count is kept under one key as ``[epoch, count]``; reading it costs one round
trip (an MGET of the institution's epoch and the person's entry), not two. The epoch
moves when what people may see changes (an item unshared, deleted, made private; someone
leaving a group): every count stored under an older epoch is then stale at once.

The page header's badge reads the count on every signed-in page, so each process also
keeps it in memory (``unread_local``, a ``config.localcache.LocalCache`` by schema and
person, no round trip on a warm process): every forget below forgets it here and, through
the local caches' Redis channel, in every other process, at once (the services call each
forget again after their commit, so a process that read the old count between the two
forgets it then). The live channel's ``GET /api/v1/notifications/unread`` reads the shared
count, never a process's copy.
"""

from __future__ import annotations

from django.core.cache import cache

from config.localcache import LocalCache

UNREAD_CACHE_SECONDS = 120
UNREAD_EPOCH_KEY = "activity:unread:epoch"

unread_local: LocalCache[int] = LocalCache("activity-unread")


def unread_key(user_id: int) -> str:
    # The cache's key function adds the institution's schema.
    return f"activity:unread:{user_id}"


def unread_cached(user_id: int) -> tuple[int, int | None]:
    """(the institution's epoch, ``user_id``'s cached count or None), in one round trip."""
    key = unread_key(user_id)
    found = cache.get_many([UNREAD_EPOCH_KEY, key])
    epoch = found.get(UNREAD_EPOCH_KEY) or 0
    entry = found.get(key)
    if isinstance(entry, list | tuple) and len(entry) == 2 and entry[0] == epoch:
        return epoch, entry[1]
    return epoch, None


def unread_cache_store(user_id: int, epoch: int, count: int) -> None:
    """Keep ``count``, counted after reading ``epoch`` (a move since makes it stale)."""
    cache.set(unread_key(user_id), [epoch, count], UNREAD_CACHE_SECONDS)


def unread_cache_forget(user_id: int) -> None:
    cache.delete(unread_key(user_id))
    unread_local.forget_now_everywhere([user_id])


def unread_cache_forget_many(user_ids) -> None:
    user_ids = list(user_ids)
    keys = [unread_key(user_id) for user_id in user_ids]
    for start in range(0, len(keys), 1000):
        cache.delete_many(keys[start : start + 1000])
    unread_local.forget_now_everywhere(user_ids)


def unread_cache_forget_all() -> None:
    """Forget every cached unread count of the current institution."""
    try:
        cache.incr(UNREAD_EPOCH_KEY)
    except ValueError:  # no epoch yet
        cache.set(UNREAD_EPOCH_KEY, 1, None)
    unread_local.forget_now_everywhere(None)
