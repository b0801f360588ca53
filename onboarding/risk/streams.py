"""The Redis Stream of risk events: publishing (by the outbox relay) and reading (consumers).

Publishing is idempotent: a Lua script marks the event id as published and XADDs in one atomic
step, so a relay that delivers the same outbox row twice (it died between XADD and recording the
delivery) still puts the event on the stream once.

Reading is at least once (`risk_stream_consume`): a consumer first re-reads its own pending
entries (read before a crash, never acknowledged), claims entries other consumers left pending
longer than RISK_STREAM_CLAIM_IDLE_SECONDS, and reads new ones. An entry is acknowledged only
after it is handled, in the same atomic step that marks its event id handled for the group; an
entry whose event id is already marked (a replay) is acknowledged without being handled again.
"""

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from django.conf import settings

from onboarding.core import clock
from onboarding.notifications.registry import DeliveryBatch

RISK_TOPIC = "risk.raised"

# KEYS[1] published marker, KEYS[2] stream; ARGV: marker ttl, maxlen, event id, type, event json.
_PUBLISH_ONCE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*',
                    'id', ARGV[3], 'type', ARGV[4], 'event', ARGV[5])
end
return false
"""


logger = logging.getLogger(__name__)

# KEYS[1] handled marker, KEYS[2] stream; ARGV: group, entry id, marker ttl, consumer.
_MARK_HANDLED = """
local first = redis.call('SET', KEYS[1], ARGV[4], 'NX', 'EX', ARGV[3])
redis.call('XACK', KEYS[2], ARGV[1], ARGV[2])
if first then return 1 end
return 0
"""


def redis_client(url: str | None = None, *, block_ms: int = 0) -> redis.Redis:
    """A client for the risk stream; `block_ms` is the longest blocking read it will make (the
    socket must wait that long for an answer, and the usual timeout on top)."""
    return redis.Redis.from_url(
        url or settings.REDIS_URL,
        socket_timeout=settings.RISK_REDIS_TIMEOUT_SECONDS + block_ms / 1000,
        socket_connect_timeout=settings.RISK_REDIS_TIMEOUT_SECONDS,
        decode_responses=True,
    )


def _marker(event_id: str) -> str:
    return f"{settings.RISK_STREAM}:published:{event_id}"


def stream_publish_once(client: redis.Redis, event: dict) -> str | None:
    """XADD `event` unless its id was published before; the new entry's id, or None."""
    return client.eval(
        _PUBLISH_ONCE,
        2,
        _marker(event["id"]),
        settings.RISK_STREAM,
        settings.RISK_PUBLISHED_MARKER_TTL_SECONDS,
        settings.RISK_STREAM_MAXLEN,
        event["id"],
        event["type"],
        json.dumps(event, sort_keys=True),
    )


def risk_event_publish(message, batch: DeliveryBatch) -> None:
    """Outbox consumer of "risk.raised". Without REDIS_URL the database is the stream and there
    is nothing more to do. Redis down: raise, and the relay retries with backoff. A message
    stamped with a test clock is a test customer's (a clock runs only its own customers): it
    stays off the stream, as every test customer's risk does (services.risk_event_raise)."""
    if not settings.REDIS_URL or clock.OUTBOX_KEY in message.payload:
        return
    client = batch.resource("risk-redis", redis_client)
    try:
        stream_publish_once(client, message.payload)
    except redis.RedisError:
        batch.discard("risk-redis")
        raise


@dataclass(frozen=True)
class StreamEntry:
    entry_id: str  # the stream's id, to XACK
    event: dict | None  # None: trimmed from the stream meanwhile, or not a risk event


def _entry(entry_id: str, fields: dict | None) -> StreamEntry:
    try:
        event = json.loads(fields["event"]) if fields else None
    except (KeyError, TypeError, ValueError):
        event = None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        event = None
    return StreamEntry(entry_id=entry_id, event=event)


def _entries(answer) -> list[StreamEntry]:
    return [_entry(entry_id, fields) for _stream, rows in answer or [] for entry_id, fields in rows]


def _handled_marker(group: str, event_id: str) -> str:
    return f"{settings.RISK_STREAM}:handled:{group}:{event_id}"


def stream_group_ensure(client: redis.Redis, group: str) -> None:
    """Create the consumer group (reading from the stream's start) if it does not exist."""
    try:
        client.xgroup_create(settings.RISK_STREAM, group, id="0", mkstream=True)
    except redis.ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise


def risk_stream_read(
    client: redis.Redis,
    *,
    group: str,
    consumer: str,
    count: int = 100,
    block_ms: int | None = 1000,
) -> list[StreamEntry]:
    """Entries no consumer of `group` has had yet, waiting up to `block_ms` for one (None: not
    at all). They are pending for `consumer` from now on, until acknowledged: read again by
    `risk_stream_pending` or claimed by another consumer."""
    answer = client.xreadgroup(group, consumer, {settings.RISK_STREAM: ">"}, count, block_ms)
    return _entries(answer)


def risk_stream_pending(
    client: redis.Redis, *, group: str, consumer: str, after: str = "0", count: int = 100
) -> list[StreamEntry]:
    """`consumer`'s own entries read before and never acknowledged (it crashed), oldest first,
    from after the entry id `after`."""
    answer = client.xreadgroup(group, consumer, {settings.RISK_STREAM: after}, count)
    return _entries(answer)


def risk_stream_claim(
    client: redis.Redis,
    *,
    group: str,
    consumer: str,
    min_idle_seconds: int,
    cursor: str = "0-0",
    count: int = 100,
) -> tuple[str, list[StreamEntry]]:
    """Take over entries that other consumers of `group` left pending at least
    `min_idle_seconds` (they died, or hang). Returns the cursor to continue the scan from
    ("0-0": it went round) and the entries, now pending for `consumer`."""
    next_cursor, rows, *trimmed = client.xautoclaim(
        settings.RISK_STREAM,
        group,
        consumer,
        min_idle_time=min_idle_seconds * 1000,
        start_id=cursor,
        count=count,
    )
    if trimmed and trimmed[0]:  # Redis dropped them from the pending list: nothing to handle
        logger.warning("risk stream entries trimmed before handling: %s", trimmed[0])
    return next_cursor, [_entry(entry_id, fields) for entry_id, fields in rows]


def risk_stream_handled(client: redis.Redis, *, group: str, event_ids: list[str]) -> dict[str, str]:
    """Which of `event_ids` are marked handled in `group`: event id -> the consumer that did."""
    if not event_ids:
        return {}
    markers = client.mget([_handled_marker(group, event_id) for event_id in event_ids])
    return {event_id: by for event_id, by in zip(event_ids, markers, strict=True) if by}


def risk_stream_mark_handled(
    client: redis.Redis, *, group: str, consumer: str, entry: StreamEntry
) -> bool:
    """Mark the entry's event handled by `consumer` and acknowledge the entry, in one atomic
    step (no crash can leave one without the other). False: it was marked handled before."""
    first = client.eval(
        _MARK_HANDLED,
        2,
        _handled_marker(group, entry.event["id"]),
        settings.RISK_STREAM,
        group,
        entry.entry_id,
        settings.RISK_PUBLISHED_MARKER_TTL_SECONDS,
        consumer,
    )
    return bool(first)


def risk_stream_ack(client: redis.Redis, *, group: str, entry_ids: list[str]) -> int:
    if not entry_ids:
        return 0
    return client.xack(settings.RISK_STREAM, group, *entry_ids)


def _handle_entries(
    client: redis.Redis,
    entries: list[StreamEntry],
    *,
    group: str,
    consumer: str,
    handle: Callable[[dict], None],
    should_stop: Callable[[], bool],
) -> int:
    """Handle each entry whose event is not marked handled, then mark and acknowledge it; the
    others are acknowledged only. Returns how many were handled."""
    done = risk_stream_handled(
        client, group=group, event_ids=[entry.event["id"] for entry in entries if entry.event]
    )
    handled = 0
    # Past half the claim time another consumer may have claimed the rest of this batch and
    # handled it: from then on each event's marker is read again just before handling it.
    recheck_after = time.monotonic() + settings.RISK_STREAM_CLAIM_IDLE_SECONDS / 2
    for entry in entries:
        if should_stop():
            break  # the rest stay pending: read again at restart, or claimed
        if entry.event is None:
            logger.warning("risk stream entry %s holds no event; acknowledged", entry.entry_id)
            risk_stream_ack(client, group=group, entry_ids=[entry.entry_id])
            continue
        event_id = entry.event["id"]
        if event_id not in done and time.monotonic() > recheck_after:
            done.update(risk_stream_handled(client, group=group, event_ids=[event_id]))
        if event_id in done:
            risk_stream_ack(client, group=group, entry_ids=[entry.entry_id])
            continue
        handle(entry.event)
        handled += 1
        if not risk_stream_mark_handled(client, group=group, consumer=consumer, entry=entry):
            logger.warning("risk event %s was handled by another consumer as well", event_id)
        done[event_id] = consumer
    return handled


def risk_stream_consume(
    client: redis.Redis,
    *,
    group: str,
    consumer: str,
    handle: Callable[[dict], None],
    max_events: int = 0,
    count: int = 100,
    block_ms: int = 1000,
    should_stop: Callable[[], bool] = lambda: False,
) -> int:
    """Read the stream as `consumer` of `group` and call `handle(event)` for each event, at
    least once, until `should_stop()` or `max_events` handled (0: no limit). Returns how many
    were handled.

    First this consumer's own pending entries (a previous run of it crashed), until drained;
    then, in turn, entries other consumers left pending longer than
    RISK_STREAM_CLAIM_IDLE_SECONDS and new entries. A crash between `handle` and the marker
    makes the event handled again once; after the marker, never.
    """
    stream_group_ensure(client, group)
    handled = 0

    def batch_size() -> int:
        return min(count, max_events - handled) if max_events else count

    def finished() -> bool:
        return should_stop() or bool(max_events and handled >= max_events)

    def take(entries: list[StreamEntry]) -> None:
        nonlocal handled
        handled += _handle_entries(
            client, entries, group=group, consumer=consumer, handle=handle, should_stop=finished
        )

    after = "0"
    while not finished():
        entries = risk_stream_pending(
            client, group=group, consumer=consumer, after=after, count=batch_size()
        )
        if not entries:
            break
        take(entries)
        after = entries[-1].entry_id

    cursor = "0-0"
    while not finished():
        cursor, claimed = risk_stream_claim(
            client,
            group=group,
            consumer=consumer,
            min_idle_seconds=settings.RISK_STREAM_CLAIM_IDLE_SECONDS,
            cursor=cursor,
            count=batch_size(),
        )
        take(claimed)
        if finished():
            break
        take(
            risk_stream_read(
                client,
                group=group,
                consumer=consumer,
                count=batch_size(),
                block_ms=None if claimed else block_ms,
            )
        )
    return handled
