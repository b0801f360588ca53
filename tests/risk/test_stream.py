"""Risk events on the machine's real Redis: one stream entry per event, also when Redis was down
when the event was raised, and none for an acknowledged rating."""

import json
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from onboarding.acceptance.models import Review
from onboarding.acceptance.services import requirement_add, review_acknowledge
from onboarding.acceptance.timers import timers_fire_due
from onboarding.notifications.models import OutboxMessage, OutboxStatus
from onboarding.notifications.registry import DeliveryBatch, handler_for
from onboarding.risk.models import RiskEvent
from onboarding.risk.streams import (
    RISK_TOPIC,
    redis_client,
    risk_stream_ack,
    risk_stream_read,
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


def test_consumers_in_a_group_read_each_event_once(redis_url):
    client = redis_client()
    event = {"id": "7d1c2b8e-0000-4000-8000-000000000001", "type": "requirements_unknown"}
    assert stream_publish_once(client, event) is not None
    assert stream_publish_once(client, event) is None  # the same id again: not added
    # A producer outside our dedupe (a replay) adds the same id again: the group drops it.
    client.xadd(settings.RISK_STREAM, {"id": event["id"], "type": "x", "event": json.dumps(event)})
    first = risk_stream_read(client, group="reporting", consumer="a", block_ms=10)
    assert [entry.event["id"] for entry in first] == [event["id"]]
    assert risk_stream_ack(client, group="reporting", entry_ids=[e.entry_id for e in first]) == 1
    assert risk_stream_read(client, group="reporting", consumer="b", block_ms=10) == []
    # Another group reads the stream from its start, on its own.
    other = risk_stream_read(client, group="billing-report", consumer="a", block_ms=10)
    assert len(other) == 1


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
