"""The cached unread count of each person's notifications (Redis, per institution).

Kept apart from the selectors so that the recorder (services), which every feature's
services import, depends on nothing but the cache.
"""

from __future__ import annotations

from django.core.cache import cache

UNREAD_CACHE_SECONDS = 120
UNREAD_EPOCH_KEY = "activity:unread:epoch"


def unread_key(user_id: int, epoch: int | None = None) -> str:
    # The cache's key function adds the institution's schema. The epoch moves when what
    # people may see changes (an item unshared, deleted, made private; someone leaving a
    # group): every cached count of the institution is then forgotten at once.
    if epoch is None:
        epoch = cache.get(UNREAD_EPOCH_KEY) or 0
    return f"activity:unread:{epoch}:{user_id}"


def unread_cache_forget(user_id: int) -> None:
    cache.delete(unread_key(user_id))


def unread_cache_forget_many(user_ids) -> None:
    epoch = cache.get(UNREAD_EPOCH_KEY) or 0  # once, not once a person
    keys = [unread_key(user_id, epoch) for user_id in user_ids]
    for start in range(0, len(keys), 1000):
        cache.delete_many(keys[start : start + 1000])


def unread_cache_forget_all() -> None:
    """Forget every cached unread count of the current institution."""
    try:
        cache.incr(UNREAD_EPOCH_KEY)
    except ValueError:  # no epoch yet
        cache.set(UNREAD_EPOCH_KEY, 1, None)
