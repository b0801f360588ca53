"""The live risk board's server-sent event stream (docs/events.md, "The live board").

One "risk" event per new open risk, for a bounded time (RISK_BOARD_STREAM_SECONDS); the browser
then reconnects on its own with Last-Event-ID, the highest risk id it was sent. Each read of the
database also looks back RISK_BOARD_LOOKBACK_SECONDS for risks that committed after a higher id
(ids are taken at insert, not at commit); ids already sent are dropped.

Two ways to learn that there is something new:

- Under ASGI with REDIS_URL (production): `XREAD BLOCK` on the risk stream wakes the board when
  the relay publishes a risk, and the board then reads the database once. The stream position is
  taken before the first database read, so nothing published in between is missed. An idle board
  holds no thread and makes no query, only a blocked read on Redis.
- Otherwise (no Redis, or Redis failed during the stream, or a sync WSGI server such as
  runserver): the database is read every RISK_BOARD_POLL_SECONDS.

Under WSGI the stream is a sync generator: Django would buffer an async one for the whole stream.
"""

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import redis
import redis.asyncio as aredis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.template.loader import render_to_string
from django.utils import timezone, translation

from onboarding.risk.board_notes import board_notes_attach
from onboarding.risk.forms import ResolveForm
from onboarding.risk.selectors import risk_board_events

logger = logging.getLogger(__name__)

RETRY = "retry: 1000\n\n"
KEEP_ALIVE = ": keep-alive\n\n"
# A live row is rendered once per process with this in place of the CSRF token, then each board
# puts in its own (rendering it for each of hundreds of boards would cost more than the read).
_CSRF_PLACEHOLDER = "__risk_board_csrf_token__"
# Keyed by the event id (a UUID): a risk id names another row in another database (tests), and
# by the language it is written in: each board reads its rows in its reader's console language.
_rendered_rows: dict[tuple[str, str], tuple[float, str]] = {}  # (id, language) -> (when, html)


def keepalive_seconds() -> float:
    return float(getattr(settings, "RISK_BOARD_KEEPALIVE_SECONDS", 15))


def _row_html(event, csrf_token: str, now: float, language: str) -> str:
    key = (str(event.event_id), language)
    cached = _rendered_rows.get(key)
    if cached is None:
        with translation.override(language):
            html = render_to_string(
                "risk/_row.html",
                {"event": event, "resolve_form": ResolveForm(), "csrf_token": _CSRF_PLACEHOLDER},
            )
        cached = _rendered_rows[key] = (now, html)
    return cached[1].replace(_CSRF_PLACEHOLDER, csrf_token)


# Boards woken by the same stream entry, with the same cursor, share one read of the database:
# it was made after that entry was added, so it holds every risk committed before it.
# (stream position, cursor) -> (when read, the risks); kept for a few seconds.
_shared_reads: dict[tuple[str, int], tuple[float, list]] = {}
_SHARED_READ_SECONDS = 5.0


def _board_events(after_id: int, since, position: str | None, now: float) -> list:
    if position is None:
        return risk_board_events(after_id=after_id, since=since)
    key = (position, after_id)
    shared = _shared_reads.get(key)
    if shared is None or now - shared[0] > _SHARED_READ_SECONDS:
        shared = _shared_reads[key] = (now, risk_board_events(after_id=after_id, since=since))
        for old, (at, _events) in list(_shared_reads.items()):
            if now - at > _SHARED_READ_SECONDS:
                _shared_reads.pop(old, None)
    return shared[1]


def _forget_rendered_rows(now: float) -> None:
    # A row is asked for only while it is within some board's lookback.
    keep = 2 * settings.RISK_BOARD_LOOKBACK_SECONDS + settings.RISK_BOARD_STREAM_SECONDS
    for key, (at, _html) in list(_rendered_rows.items()):
        if now - at > keep:
            _rendered_rows.pop(key, None)


class BoardCursor:
    """What one board has been sent: the highest risk id (its Last-Event-ID) and the ids sent
    within the lookback, so a late commit is sent once and an early one not again."""

    def __init__(self, *, after: int, csrf_token: str, language: str = "en") -> None:
        self.last = after
        self.csrf_token = csrf_token
        # The stream outlives the request's activated language: the rows are written in this.
        self.language = language
        self.sent: dict[int, float] = {}  # id -> when it was sent, forgotten after the lookback

    def take(self, position: str | None = None) -> list[str]:
        """The server-sent events for the risks this board has not had yet: one read of the
        database, shared with the boards woken by the same stream entry `position`."""
        now = time.monotonic()
        lookback = settings.RISK_BOARD_LOOKBACK_SECONDS
        since = timezone.now() - timedelta(seconds=lookback)
        messages = []
        events = _board_events(self.last, since, position, now)
        with translation.override(self.language):
            board_notes_attach(
                [e for e in events if (str(e.event_id), self.language) not in _rendered_rows]
            )
        for event in events:
            self.last = max(self.last, event.pk)
            if event.pk in self.sent:
                continue
            self.sent[event.pk] = now
            data = {**event.as_message(), "pk": event.pk}
            data["html"] = _row_html(event, self.csrf_token, now, self.language)
            messages.append(f"id: {self.last}\nevent: risk\ndata: {json.dumps(data)}\n\n")
        self.sent = {pk: at for pk, at in self.sent.items() if now - at <= 2 * lookback}
        _forget_rendered_rows(now)
        return messages


def polled_events(cursor: BoardCursor) -> Iterator[str]:
    """The stream for a sync (WSGI) server: the database every RISK_BOARD_POLL_SECONDS, and
    this thread is held until the stream ends."""
    yield RETRY
    deadline = time.monotonic() + settings.RISK_BOARD_STREAM_SECONDS
    while True:
        yield from cursor.take()
        yield KEEP_ALIVE
        if time.monotonic() >= deadline:
            return
        time.sleep(settings.RISK_BOARD_POLL_SECONDS)


def _take_in_pool(cursor: BoardCursor, position: str | None) -> list[str]:
    # A thread of the shared pool, not the request's own: a board must hold no thread and no
    # database connection while it waits. The pool's connections are checked as a request would.
    close_old_connections()
    try:
        return cursor.take(position)
    finally:
        close_old_connections()


async def _take(cursor: BoardCursor, position: str | None) -> list[str]:
    return await sync_to_async(_take_in_pool, thread_sensitive=False)(cursor, position)


async def _stream_position(client: aredis.Redis) -> str:
    """The id of the stream's newest entry ("0-0": empty): XREAD from here gets what comes
    next."""
    newest = await client.xrevrange(settings.RISK_STREAM, count=1)
    return newest[0][0] if newest else "0-0"


def _redis_client(block_seconds: float) -> aredis.Redis:
    return aredis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=settings.RISK_REDIS_TIMEOUT_SECONDS + block_seconds,
        socket_connect_timeout=settings.RISK_REDIS_TIMEOUT_SECONDS,
        decode_responses=True,
    )


async def streamed_events(cursor: BoardCursor) -> AsyncIterator[str]:
    """The stream for an ASGI server: woken by the Redis Stream when REDIS_URL is set, else
    (or once Redis fails) polling the database."""
    yield RETRY
    deadline = time.monotonic() + settings.RISK_BOARD_STREAM_SECONDS
    keepalive = keepalive_seconds()
    client = _redis_client(keepalive) if settings.REDIS_URL else None
    position = None
    try:
        if client is not None:
            try:
                position = await _stream_position(client)
            except redis.RedisError as error:
                logger.warning("risk board: Redis unavailable, polling the database: %s", error)
        # Once at connect, after the stream position: what a reconnecting board missed.
        for message in await _take(cursor, position):
            yield message
        yield KEEP_ALIVE
        while (remaining := deadline - time.monotonic()) > 0:
            if position is None:
                await asyncio.sleep(min(settings.RISK_BOARD_POLL_SECONDS, remaining))
            else:
                block_ms = max(1, int(min(keepalive, remaining) * 1000))  # 0 would block forever
                try:
                    answer = await client.xread(
                        {settings.RISK_STREAM: position}, count=100, block=block_ms
                    )
                except redis.RedisError as error:
                    logger.warning("risk board: Redis failed, polling the database: %s", error)
                    position = None
                    continue
                if not answer:
                    yield KEEP_ALIVE
                    continue
                position = answer[0][1][-1][0]
            for message in await _take(cursor, position):
                yield message
            yield KEEP_ALIVE
    finally:
        if client is not None:
            await client.aclose()
