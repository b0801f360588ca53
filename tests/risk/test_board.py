"""The live risk board: open risks, counts for the chart, a server-sent event per new risk."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from onboarding.acceptance.requirements import requirement_add
from onboarding.acceptance.timers import timers_fire_due
from onboarding.risk.models import RiskEvent
from tests.acceptance.conftest import active_contract


@pytest.fixture
def staff_web(sysops):
    client = Client()
    client.force_login(sysops)
    return client


def raise_red(sysops, number="CTR-2026-000201"):
    contract = active_contract(number=number)
    requirement_add(contract=contract, actor=sysops, title="VPN", criteria="up", rating="red")
    timers_fire_due(now=timezone.now() + timedelta(seconds=settings.ACCEPTANCE_RED_ACK_SECONDS + 1))
    return RiskEvent.objects.get(contract=contract)


def test_board_lists_open_risks_and_counts(staff_web, sysops, manager):
    event = raise_red(sysops)
    page = staff_web.get("/staff/risk/")
    assert f'id="risk-{event.pk}"'.encode() in page.content
    counts = staff_web.get("/staff/risk/counts.json").json()
    assert counts["open"] == {"red": 1, "yellow": 0}
    assert counts["red"][-1] == 1 and len(counts["labels"]) == 14


def test_event_stream_sends_new_risks_after_the_cursor(staff_web, sysops, manager, settings):
    settings.RISK_BOARD_STREAM_SECONDS = 0  # one pass, then the stream ends
    first = raise_red(sysops, "CTR-2026-000301")
    RiskEvent.objects.filter(pk=first.pk).update(occurred_at=timezone.now() - timedelta(hours=1))
    second = raise_red(sysops, "CTR-2026-000302")
    response = staff_web.get(f"/staff/risk/events?after={first.pk}")
    assert response["Content-Type"] == "text/event-stream"
    body = b"".join(response.streaming_content).decode()
    assert body.count("event: risk\n") == 1
    assert f"id: {second.pk}\nevent: risk\n" in body
    assert str(second.event_id) in body and str(first.event_id) not in body


def test_event_stream_sends_a_risk_that_committed_after_a_higher_id(
    staff_web, sysops, manager, settings
):
    # On PostgreSQL two relays can insert ids 1 and 2 and commit 2 first: a board that read 2
    # must still get 1. Here 1 is "late" because the cursor is already past it.
    settings.RISK_BOARD_STREAM_SECONDS = 0
    late = raise_red(sysops, "CTR-2026-000303")
    seen = raise_red(sysops, "CTR-2026-000304")
    resolved = raise_red(sysops, "CTR-2026-000305")
    RiskEvent.objects.filter(pk=resolved.pk).update(state="resolved")
    body = b"".join(staff_web.get(f"/staff/risk/events?after={seen.pk}").streaming_content).decode()
    assert body.count("event: risk\n") == 2  # once each, resolved ones not at all
    assert str(late.event_id) in body and str(seen.event_id) in body
    assert str(resolved.event_id) not in body
    # The cursor the browser reconnects with is the highest id it was sent.
    assert f"id: {seen.pk}\nevent: risk\n" in body


def test_resolving_needs_a_note_and_takes_it_off_the_board(staff_web, sysops, manager):
    event = raise_red(sysops)
    staff_web.post(f"/staff/risk/{event.pk}/resolve/", {"note": ""})
    event.refresh_from_db()
    assert event.state == "open"
    staff_web.post(f"/staff/risk/{event.pk}/resolve/", {"note": "manager called the customer"})
    event.refresh_from_db()
    assert event.state == "resolved" and event.resolved_by == sysops
    assert f'id="risk-{event.pk}"'.encode() not in staff_web.get("/staff/risk/").content


def test_customers_cannot_see_the_board(customer_client):
    assert customer_client.get("/staff/risk/").status_code == 404
    assert customer_client.get("/api/v1/staff/risk").status_code in (401, 403, 404)
