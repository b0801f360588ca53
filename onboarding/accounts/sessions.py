"""Sessions read from the cache (Redis) and kept in the database: Django's cached_db, made safe
with the cache down.

The database holds every session and stays the record; the cache only spares a signed-in request
its session query. With the cache down:
- a read falls back to the database (Django's cached_db answers 500: it writes the row it read
  back to the cache, unguarded);
- a new session key is checked against the database only (Django's raises, so no visitor could
  get a session);
- ending a session (sign-out, a new id at sign-in) fails visibly and leaves the session whole:
  it leaves the cache before its row, because a row deleted while the cache is unreachable would
  leave the session signed in from the cache, for up to SESSION_COOKIE_AGE, once it is back.

Nothing else may delete session rows directly (a bulk delete of Session rows would leave the
cached copies signed in): end a session through this store.
"""

import logging
from typing import Any

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

logger = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    def load(self) -> dict[str, Any]:
        cache_up = True
        try:
            data = self._cache.get(self.cache_key)
        except Exception:
            cache_up = False
            data = None
            logger.warning(
                "session read from the database: the cache is unavailable", exc_info=True
            )
        if data is not None:
            return data
        row = self._get_session_from_db()
        if row is None:
            return {}
        data = self.decode(row.session_data)
        if cache_up:
            try:
                self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=row.expire_date))
            except Exception:
                logger.warning("session not copied to the cache", exc_info=True)
        return data

    def exists(self, session_key: str | None) -> bool:
        # Asked only for a new key's uniqueness; every session has its row.
        try:
            return super().exists(session_key)
        except Exception:
            logger.warning("session key checked in the database only: the cache is unavailable")
            return DatabaseSessionStore.exists(self, session_key)

    def delete(self, session_key: str | None = None) -> None:
        key = session_key or self.session_key
        if key is None:
            return
        # The cache first: if it fails, the caller sees the error and the session stays whole.
        self._cache.delete(self.cache_key_prefix + key)
        DatabaseSessionStore.delete(self, key)
        # Again: a request of the same session that missed the cache between the two deletes
        # may have copied the row back into it.
        try:
            self._cache.delete(self.cache_key_prefix + key)
        except Exception:
            logger.exception("ended session's cache entry not deleted a second time")

    def flush(self) -> None:
        # Delete before clearing: if the delete fails, the session is unchanged, so a caller that
        # catches the error cannot then save an emptied session under the same key.
        self.delete(self.session_key)
        self.clear()
        self._session_key = None
