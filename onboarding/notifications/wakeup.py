"""Waking a polling loop the moment new work is committed: PostgreSQL LISTEN/NOTIFY.

A trigger on a queue table (the outbox, the task queue) runs `pg_notify(channel)` in the
transaction that inserts a row. PostgreSQL delivers a notification only when that transaction
commits, so a rolled-back row never wakes anyone, and a listener that wakes always finds the row
committed. `Wakeup.wait(timeout)` returns early on such a notification and otherwise after
`timeout`: the loop's poll stays as it was, as the fallback (rows due later, a notification
lost while the listening connection was down) and as the only way on SQLite.

The listening connection is a psycopg connection of its own, in autocommit, outside Django's
connection handling (a LISTEN lasts only as long as its session, and Django closes connections
between passes). When it drops (the server restarted, pg_terminate_backend, a network cut) the
loop keeps polling, and the listener reconnects with a capped, growing delay; after each
(re)connect `wait` returns at once, since work committed while nobody listened woke nobody.

Several loops may listen on one channel: every one of them wakes, and they share the work as
they already do (leases, SKIP LOCKED). A notification only says "look now".
"""

import contextlib
import logging
import select
import threading
import time
from collections.abc import Callable

from django.db import connections

from onboarding.core.backoff import backoff_seconds

logger = logging.getLogger(__name__)

# A wait is cut into slices this long, so a stop request is noticed soon even in a long wait.
_SLICE_SECONDS = 0.25
RECONNECT_BASE_SECONDS = 0.5
RECONNECT_MAX_SECONDS = 30.0
# A listening connection dropped sooner than this after it was made counts as a failed connect.
STABLE_CONNECTION_SECONDS = 10.0
# TCP keepalives: a silently cut network shows as a dead socket within about a minute, instead
# of a listener that hears nothing for ever (the poll covers the gap meanwhile).
_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


def listening_supported(using: str = "default") -> bool:
    return connections[using].vendor == "postgresql"


class Wakeup:
    """Wait for a NOTIFY on `channel` (PostgreSQL) or for a timeout, whichever comes first.

    One instance belongs to one thread. On a database other than PostgreSQL it only waits.
    """

    def __init__(self, channel: str, *, using: str = "default") -> None:
        self.channel = channel
        self.using = using
        self.enabled = listening_supported(using)
        self._conn = None
        self._failures = 0
        self._retry_at = 0.0
        # What the tests and the logs see: notifications heard, (re)connections made, and whether
        # the owner is blocked in wait() now.
        self.woken = 0
        self.connects = 0
        self.waiting = False

    @property
    def listening(self) -> bool:
        return self._conn is not None

    def wait(self, timeout: float, *, should_stop: Callable[[], bool] = lambda: False) -> bool:
        """Block up to `timeout` seconds; True when woken early (a notification or a fresh
        connection), False after the full timeout or a stop request."""
        deadline = time.monotonic() + timeout
        self.waiting = True
        try:
            while not should_stop():
                if self._reconnect_due() and self._connect():
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                step = min(remaining, _SLICE_SECONDS)
                if self._conn is None:
                    time.sleep(step)
                elif self._heard(step):
                    return True
            return False
        finally:
            self.waiting = False

    def _reconnect_due(self) -> bool:
        return self.enabled and self._conn is None and time.monotonic() >= self._retry_at

    def close(self) -> None:
        if self._conn is not None:
            # The connection may be gone already; closing is tidying up.
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def _connect(self) -> bool:
        import psycopg

        params = connections[self.using].get_connection_params()
        # Django's cursor class and adapters are for its own queries; LISTEN needs neither.
        params.pop("cursor_factory", None)
        params.pop("context", None)
        try:
            conn = psycopg.connect(**{**_KEEPALIVES, **params}, autocommit=True)
            conn.execute(f'LISTEN "{self.channel}"')
        except Exception as exc:
            self._failures += 1
            delay = backoff_seconds(
                self._failures, base=RECONNECT_BASE_SECONDS, cap=RECONNECT_MAX_SECONDS
            )
            self._retry_at = time.monotonic() + delay
            logger.warning(
                "cannot listen for wake-ups; polling meanwhile",
                extra={"channel": self.channel, "retry_in": round(delay, 2), "error": str(exc)},
            )
            return False
        self._conn = conn
        self._connected_at = time.monotonic()
        self.connects += 1
        if self._failures or self.connects > 1:
            logger.info("listening for wake-ups again", extra={"channel": self.channel})
        return True

    def _heard(self, timeout: float) -> bool:
        """Wait on the socket up to `timeout`; True when a notification arrived."""
        conn = self._conn
        try:
            readable, _, _ = select.select([conn.fileno()], [], [], timeout)
            if not readable:
                return False
            # Reads what arrived; raises when the server closed the connection.
            conn.pgconn.consume_input()
            heard = 0
            while conn.pgconn.notifies() is not None:
                heard += 1
        except Exception as exc:
            self._lost(exc)
            return False
        self.woken += heard
        return heard > 0

    def _lost(self, exc: Exception) -> None:
        self.close()
        # A connection that had lasted reconnects at once; one dropped soon after it was made (a
        # pooler or proxy cutting it) counts as a failure and backs off like a refused connect.
        now = time.monotonic()
        if now - getattr(self, "_connected_at", now) >= STABLE_CONNECTION_SECONDS:
            self._failures = 0
            self._retry_at = now
        else:
            self._failures += 1
            self._retry_at = now + backoff_seconds(
                self._failures, base=RECONNECT_BASE_SECONDS, cap=RECONNECT_MAX_SECONDS
            )
        logger.warning(
            "the wake-up connection dropped; polling until it is back",
            extra={"channel": self.channel, "error": str(exc)},
        )


def wait_or_stop(wakeup: Wakeup | None, timeout: float, stop: threading.Event) -> bool:
    """Wait for a wake-up when there is a listener, else for `stop` or the timeout."""
    if wakeup is None:
        stop.wait(timeout)
        return False
    return wakeup.wait(timeout, should_stop=stop.is_set)
