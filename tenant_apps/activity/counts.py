"""The cached unread count of each person's notifications (Redis, per institution).

Kept apart from the selectors so that the recorder (services), which every feature's
services import, depends on nothing but the cache.

A person's count is kept under one key as ``[epoch, count]``; reading it costs one round
trip (an MGET of the institution's epoch and the person's entry), not two. The epoch
moves when what people may see changes (an item unshared, deleted, made private; someone
leaving a group): every count stored under an older epoch is then stale at once.
"""

from __future__ import annotations

from django.core.cache import cache

UNREAD_CACHE_SECONDS = 120
UNREAD_EPOCH_KEY = "activity:unread:epoch"


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


def unread_cache_forget_many(user_ids) -> None:
    keys = [unread_key(user_id) for user_id in user_ids]
    for start in range(0, len(keys), 1000):
        cache.delete_many(keys[start : start + 1000])


def unread_cache_forget_all() -> None:
    """Forget every cached unread count of the current institution."""
    try:
        cache.incr(UNREAD_EPOCH_KEY)
    except ValueError:  # no epoch yet
        cache.set(UNREAD_EPOCH_KEY, 1, None)
