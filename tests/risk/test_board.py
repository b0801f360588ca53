"""The live risk board: open risks, counts for the chart, a server-sent event per new risk."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from onboarding.acceptance.services import requirement_add
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
    second = raise_red(sysops, "CTR-2026-000302")
    response = staff_web.get(f"/staff/risk/events?after={first.pk}")
    assert response["Content-Type"] == "text/event-stream"
    body = b"".join(response.streaming_content).decode()
    assert f"id: {second.pk}\nevent: risk\n" in body
    assert f"id: {first.pk}\n" not in body
    assert str(second.event_id) in body


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
