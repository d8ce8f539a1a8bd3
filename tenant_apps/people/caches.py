"""Per-process caches of the rows every signed-in request reads (config.localcache).

- the user a session or token names, by (schema, pk);
- a live bearer token, by (schema, SHA-256 of its secret): the token row alone, its
  user comes from the user cache, so deactivating someone stops their tokens too.

Every write of a user or token forgets its entry here at once and in every other
process after commit (``people.receivers`` on save and delete; services that write
with ``update()`` call ``user_changed`` themselves).
"""

from __future__ import annotations

from config.localcache import LocalCache
from tenant_apps.people.models import AccessToken, User

user_cache: LocalCache[User] = LocalCache("people-user")
token_cache: LocalCache[AccessToken] = LocalCache("people-token")


def user_changed(pk: int) -> None:
    user_cache.forget_everywhere(int(pk))


def token_changed(key_hash: str) -> None:
    token_cache.forget_everywhere(key_hash)
