"""The Redis Stream of risk events: publishing (by the outbox relay) and reading (consumers).

Publishing is idempotent: a Lua script marks the event id as published and XADDs in one atomic
step, so a relay that delivers the same outbox row twice (it died between XADD and recording the
delivery) still puts the event on the stream once. Consumers read with consumer groups
(XREADGROUP) and should still dedupe by event id; `risk_stream_read` does.
"""

import json
from dataclasses import dataclass

import redis
from django.conf import settings

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


def redis_client(url: str | None = None) -> redis.Redis:
    return redis.Redis.from_url(
        url or settings.REDIS_URL,
        socket_timeout=settings.RISK_REDIS_TIMEOUT_SECONDS,
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
    is nothing more to do. Redis down: raise, and the relay retries with backoff."""
    if not settings.REDIS_URL:
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
    event: dict


def stream_group_ensure(client: redis.Redis, group: str) -> None:
    """Create the consumer group (reading from the stream's start) if it does not exist."""
    try:
        client.xgroup_create(settings.RISK_STREAM, group, id="0", mkstream=True)
    except redis.ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise


def risk_stream_read(
    client: redis.Redis, *, group: str, consumer: str, count: int = 100, block_ms: int = 1000
) -> list[StreamEntry]:
    """Read new entries for `consumer` of `group`, dropping (and acknowledging) any event id
    this group has already taken, so a consumer sees each event once."""
    stream_group_ensure(client, group)
    answer = client.xreadgroup(group, consumer, {settings.RISK_STREAM: ">"}, count, block_ms)
    entries: list[StreamEntry] = []
    for _stream, rows in answer or []:
        for entry_id, fields in rows:
            seen_key = f"{settings.RISK_STREAM}:seen:{group}:{fields.get('id')}"
            first = client.set(
                seen_key, "1", nx=True, ex=settings.RISK_PUBLISHED_MARKER_TTL_SECONDS
            )
            if not first:
                client.xack(settings.RISK_STREAM, group, entry_id)
                continue
            entries.append(StreamEntry(entry_id=entry_id, event=json.loads(fields["event"])))
    return entries


def risk_stream_ack(client: redis.Redis, *, group: str, entry_ids: list[str]) -> int:
    if not entry_ids:
        return 0
    return client.xack(settings.RISK_STREAM, group, *entry_ids)
