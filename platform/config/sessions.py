"""Sessions in PostgreSQL with a copy in Redis (Django's ``cached_db``), Redis optional.

A signed-in request reads its session from Redis (the cache's keys carry the
institution's schema, so two institutions never share an entry) and falls back to
PostgreSQL, the source of truth. Django's engine already survives a failed cache read
or write on save; this one also survives them when a session is loaded from the
database, checked for existence or deleted, so that whoever is signed in carries on
while Redis is down (README: "When a service is down").
"""

from __future__ import annotations

import logging

from django.contrib.sessions.backends import cached_db

log = logging.getLogger("django.contrib.sessions")


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:
            data = None
        if data is not None:
            return data
        row = self._get_session_from_db()
        if not row:
            return {}
        data = self.decode(row.session_data)
        try:
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=row.expire_date))
        except Exception:
            log.warning("session not copied to the cache", exc_info=True)
        return data

    def exists(self, session_key):
        try:
            if session_key and (self.cache_key_prefix + session_key) in self._cache:
                return True
        except Exception:
            log.warning("session cache not reachable; asking the database", exc_info=True)
        return super(cached_db.SessionStore, self).exists(session_key)

    def delete(self, session_key=None):
        # The database row first. If Redis is down now and comes back with its data,
        # the copy outlives the row until the session's expiry (a known limit).
        super(cached_db.SessionStore, self).delete(session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        try:
            self._cache.delete(self.cache_key_prefix + session_key)
        except Exception:
            log.warning("session's cached copy not deleted", exc_info=True)
