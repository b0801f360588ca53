"""Risk events on the machine's real Redis: one stream entry per event, also when Redis was down
when the event was raised, and none for an acknowledged rating; consumers that re-read what they
left pending, claim what dead ones left, and handle an event id once it is marked never again."""

import json
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from onboarding.acceptance.models import Review
from onboarding.acceptance.requirements import requirement_add
from onboarding.acceptance.reviews import review_acknowledge
from onboarding.acceptance.timers import timers_fire_due
from onboarding.notifications.models import OutboxMessage, OutboxStatus
from onboarding.notifications.registry import DeliveryBatch, handler_for
from onboarding.risk.models import RiskEvent
from onboarding.risk.streams import (
    RISK_TOPIC,
    StreamEntry,
    redis_client,
    risk_stream_claim,
    risk_stream_consume,
    risk_stream_handled,
    risk_stream_mark_handled,
    risk_stream_read,
    stream_group_ensure,
    stream_publish_once,
)
from tests.acceptance.conftest import active_contract, deliver_outbox


def red_past_deadline(sysops):
    contract = active_contract()
    requirement_add(
        contract=contract, actor=sysops, title="Remote access", criteria="VPN up", rating="red"
    )
    timers_fire_due(now=timezone.now() + timedelta(seconds=settings.ACCEPTANCE_RED_ACK_SECONDS + 1))
    return contract


def stream_entries(client):
    return client.xrange(settings.RISK_STREAM)


def test_red_unacknowledged_puts_exactly_one_event_on_the_stream(redis_url, sysops, manager):
    contract = red_past_deadline(sysops)
    deliver_outbox()
    client = redis_client()
    entries = stream_entries(client)
    assert len(entries) == 1
    _entry_id, fields = entries[0]
    event = json.loads(fields["event"])
    stored = RiskEvent.objects.get()
    assert fields["id"] == str(stored.event_id) == event["id"]
    assert event["type"] == "acceptance_unacknowledged" and event["rating"] == "red"
    assert event["contract"] == {"id": contract.pk, "number": contract.number}
    assert event["customer"]["id"] == contract.customer_id
    assert event["schema"] == 1 and event["occurred_at"] and event["reason"]


def test_acknowledged_red_puts_nothing_on_the_stream(redis_url, sysops, manager):
    contract = active_contract()
    requirement_add(contract=contract, actor=sysops, title="VPN", criteria="up", rating="red")
    review_acknowledge(review=Review.objects.get(contract=contract), actor=manager)
    timers_fire_due(now=timezone.now() + timedelta(days=30))
    deliver_outbox()
    assert stream_entries(redis_client()) == []


def test_a_redelivered_message_is_added_once(redis_url, sysops, manager):
    red_past_deadline(sysops)
    deliver_outbox()
    message = OutboxMessage.objects.get(topic=RISK_TOPIC)
    batch = DeliveryBatch()
    handler_for(RISK_TOPIC).handler(message, batch)  # a relay that died before recording it
    batch.close()
    assert len(stream_entries(redis_client())) == 1


def test_redis_down_at_the_time_the_event_arrives_once_it_is_back(private_redis, sysops, manager):
    private_redis.stop()
    red_past_deadline(sysops)
    deliver_outbox()
    message = OutboxMessage.objects.get(topic=RISK_TOPIC)
    assert message.status == OutboxStatus.RETRYING and message.attempts == 1
    assert message.last_error  # why it waits

    private_redis.start()
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    deliver_outbox()
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    entries = stream_entries(private_redis.client())
    assert len(entries) == 1
    assert entries[0][1]["id"] == str(RiskEvent.objects.get().event_id)


def event_with_id(n: int) -> dict:
    return {"id": f"7d1c2b8e-0000-4000-8000-{n:012d}", "type": "requirements_unknown"}


def consume(client, *, group="reporting", consumer="a", handle=None, **options) -> list[dict]:
    """Run the consumer loop until it has handled `max_events` (or 10 s went by: a test that
    fails must not hang); the events it handled."""
    handled: list[dict] = []
    deadline = time.monotonic() + 10
    risk_stream_consume(
        client,
        group=group,
        consumer=consumer,
        handle=handle or handled.append,
        block_ms=10,
        should_stop=lambda: time.monotonic() > deadline,
        **options,
    )
    return handled


def read_and_crash(client, *, consumer: str, group: str = "reporting") -> list[str]:
    """What a consumer that died after reading did: read entries, handled and acknowledged none."""
    stream_group_ensure(client, group)
    return [entry.entry_id for entry in risk_stream_read(client, group=group, consumer=consumer)]


def test_consumers_in_a_group_read_each_event_once(redis_url):
    client = redis_client()
    event = event_with_id(1)
    assert stream_publish_once(client, event) is not None
    assert stream_publish_once(client, event) is None  # the same id again: not added
    # A producer outside our dedupe (a replay) adds the same id again: the group drops it.
    client.xadd(settings.RISK_STREAM, {"id": event["id"], "type": "x", "event": json.dumps(event)})
    stream_publish_once(client, event_with_id(2))

    first = consume(client, consumer="a", max_events=2)
    assert [e["id"] for e in first] == [event["id"], event_with_id(2)["id"]]
    assert client.xpending(settings.RISK_STREAM, "reporting")["pending"] == 0
    assert risk_stream_handled(client, group="reporting", event_ids=[event["id"]]) == {
        event["id"]: "a"
    }
    # Another group reads the stream from its start, on its own.
    other = consume(client, group="billing-report", max_events=2)
    assert len(other) == 2


def test_a_consumer_rereads_the_entries_it_read_before_a_crash(redis_url):
    client = redis_client()
    stream_publish_once(client, event_with_id(1))
    stream_publish_once(client, event_with_id(2))
    assert len(read_and_crash(client, consumer="a")) == 2

    again = consume(client, consumer="a", max_events=2)

    assert [e["id"] for e in again] == [event_with_id(1)["id"], event_with_id(2)["id"]]
    assert client.xpending(settings.RISK_STREAM, "reporting")["pending"] == 0


def test_a_handler_that_fails_leaves_its_entry_pending_and_unmarked(redis_url):
    client = redis_client()
    stream_publish_once(client, event_with_id(1))

    def fail(event):
        raise RuntimeError("the report database is down")

    with pytest.raises(RuntimeError):
        consume(client, consumer="a", handle=fail, max_events=1)

    assert client.xpending(settings.RISK_STREAM, "reporting")["pending"] == 1
    assert risk_stream_handled(client, group="reporting", event_ids=[event_with_id(1)["id"]]) == {}
    assert [e["id"] for e in consume(client, consumer="a", max_events=1)] == [
        event_with_id(1)["id"]
    ]


def test_entries_a_dead_consumer_left_pending_are_claimed_once_idle_long_enough(
    redis_url, settings
):
    client = redis_client()
    stream_publish_once(client, event_with_id(1))
    read_and_crash(client, consumer="dead")

    _cursor, claimed = risk_stream_claim(
        client, group="reporting", consumer="b", min_idle_seconds=60
    )
    assert claimed == []  # not idle long enough: "dead" may only be slow

    settings.RISK_STREAM_CLAIM_IDLE_SECONDS = 0
    taken = consume(client, consumer="b", max_events=1)

    assert [e["id"] for e in taken] == [event_with_id(1)["id"]]
    assert client.xpending(settings.RISK_STREAM, "reporting")["pending"] == 0


def test_an_event_already_handled_is_acknowledged_and_not_handled_again(redis_url, settings):
    settings.RISK_STREAM_CLAIM_IDLE_SECONDS = 0
    client = redis_client()
    event = event_with_id(1)
    stream_publish_once(client, event)
    assert len(consume(client, consumer="a", max_events=1)) == 1
    # The same event again: a replay, and a consumer that died holding a copy of it.
    replay = json.dumps(event)
    client.xadd(settings.RISK_STREAM, {"id": event["id"], "type": "x", "event": replay})
    read_and_crash(client, consumer="dead")
    client.xadd(settings.RISK_STREAM, {"id": event["id"], "type": "x", "event": replay})
    stream_publish_once(client, event_with_id(2))

    taken = consume(client, consumer="b", max_events=1)

    assert [e["id"] for e in taken] == [event_with_id(2)["id"]]
    assert client.xpending(settings.RISK_STREAM, "reporting")["pending"] == 0


def test_an_event_another_consumer_handled_while_this_one_worked_is_not_handled_again(
    redis_url, settings
):
    """A slow batch: past half the claim time another consumer may have claimed and handled
    the rest of it, so each marker is read again just before handling."""
    settings.RISK_STREAM_CLAIM_IDLE_SECONDS = 0
    client = redis_client()
    for n in (1, 2, 3):
        stream_publish_once(client, event_with_id(n))
    second_entry_id = client.xrange(settings.RISK_STREAM)[1][0]
    handled: list[str] = []

    def handle_slowly(event: dict) -> None:
        handled.append(event["id"])
        if event["id"] == event_with_id(1)["id"]:  # meanwhile "c" claims and handles event 2
            entry = StreamEntry(entry_id=second_entry_id, event=event_with_id(2))
            risk_stream_mark_handled(client, group="reporting", consumer="c", entry=entry)

    consume(client, consumer="b", handle=handle_slowly, max_events=2)

    assert handled == [event_with_id(1)["id"], event_with_id(3)["id"]]
    assert client.xpending(settings.RISK_STREAM, "reporting")["pending"] == 0


def test_an_entry_that_holds_no_event_is_acknowledged_and_skipped(redis_url):
    client = redis_client()
    client.xadd(settings.RISK_STREAM, {"id": "x", "type": "x", "event": "not json"})
    stream_publish_once(client, event_with_id(1))

    assert [e["id"] for e in consume(client, max_events=1)] == [event_with_id(1)["id"]]
    assert client.xpending(settings.RISK_STREAM, "reporting")["pending"] == 0


def test_a_blocking_read_may_wait_longer_than_the_socket_timeout(redis_url, settings):
    """A consumer waits `block_ms` for new entries: its socket must not give up before."""
    settings.RISK_REDIS_TIMEOUT_SECONDS = 1
    client = redis_client(block_ms=1500)
    stream_group_ensure(client, "reporting")
    assert risk_stream_read(client, group="reporting", consumer="a", block_ms=1500) == []


def test_without_redis_the_database_is_the_stream(settings, sysops, manager):
    settings.REDIS_URL = ""
    red_past_deadline(sysops)
    deliver_outbox()
    assert RiskEvent.objects.count() == 1
    assert OutboxMessage.objects.get(topic=RISK_TOPIC).status == OutboxStatus.SENT


def test_reference_consumer_prints_each_event_once(redis_url, sysops, manager):
    from io import StringIO

    from django.core.management import call_command

    red_past_deadline(sysops)
    deliver_outbox()
    out = StringIO()
    call_command("risk_consume", group="cli", max=1, block_ms=100, stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["id"] == str(RiskEvent.objects.get().event_id)
