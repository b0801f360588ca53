"""A request's SLA clocks: started when it is opened, paused while it waits on the customer,
stopped by the first response and by resolution, re-termed when its severity changes, and shown
to the customer and to staff. Time is a test clock's: the customer is bound to one and every
action runs at a simulated moment (onboarding/core/clock.py)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from onboarding.audit.models import AuditEntry
from onboarding.core import clock
from onboarding.sla.models import (
    ClockKind,
    ClockOutcome,
    SlaClock,
)
from onboarding.sysops.services import (
    service_request_change_severity,
    service_request_comment,
    service_request_move,
)
from tests.sla.calendars import berlin
from tests.sysops.conftest import open_request, subscribe
from tests.sysops.sla_terms import H, at, new_test_clock, plan_with_sla_terms, subscribe_on_clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(db):
    return plan_with_sla_terms()


@pytest.fixture
def test_clock(db):
    return new_test_clock()


@pytest.fixture
def subscription(customer, plan, test_clock):
    return subscribe_on_clock(customer, plan, test_clock)


def clocks_of(request) -> dict[str, SlaClock]:
    return {c.kind: c for c in SlaClock.objects.of(request)}


# --- Starting -------------------------------------------------------------------------------------


def test_a_request_opened_on_friday_afternoon_is_answered_by_monday_at_the_test_clocks_time(
    subscription, test_clock
):
    with at(test_clock, berlin(2026, 3, 13, 17)):
        request = open_request(subscription)
    clocks = clocks_of(request)
    first, resolution = clocks[ClockKind.FIRST_RESPONSE], clocks[ClockKind.RESOLUTION]
    assert first.started_at == berlin(2026, 3, 13, 17)  # simulated, not real time
    # 1 h on Friday, the weekend closed, 3 h on Monday.
    assert first.due_at == berlin(2026, 3, 16, 11)
    # 1 h Friday, 10 h Monday, 5 h Tuesday.
    assert resolution.due_at == berlin(2026, 3, 17, 13)
    assert first.outcome == resolution.outcome == ClockOutcome.PENDING
    entry = AuditEntry.objects.get(action="sla.clocks_started")
    assert entry.customer_id == subscription.customer.pk
    assert (
        entry.changes["first_response_due"]
        == berlin(2026, 3, 16, 11).astimezone(dt.UTC).isoformat()
    )


def test_a_real_customers_clocks_start_at_the_real_time(customer, plan):
    subscription = subscribe(customer, plan)
    before = timezone.now()
    request = open_request(subscription)
    started = clocks_of(request)[ClockKind.FIRST_RESPONSE].started_at
    assert before <= started <= timezone.now()


def test_a_severity_the_plan_promises_nothing_for_runs_clocks_without_a_deadline(
    subscription, test_clock, customer_client
):
    with at(test_clock, berlin(2026, 3, 13, 17)):
        request = open_request(subscription, severity="low")
    clocks = clocks_of(request)
    assert {c.due_at for c in clocks.values()} == {None}
    assert {c.outcome for c in clocks.values()} == {ClockOutcome.NO_TERMS}
    page = customer_client.get(reverse("requests:detail", args=[request.pk])).content.decode()
    assert page.count("no SLA for this severity") == 2
    assert not SlaClock.objects.due_by(berlin(2027, 1, 1)).exists()


# --- Pausing, stopping ----------------------------------------------------------------------------


def test_waiting_on_the_customer_over_easter_moves_resolution_by_the_service_time_paused(
    subscription, test_clock, sysops
):
    with at(test_clock, berlin(2026, 4, 2, 17)):  # Thursday before Good Friday
        request = open_request(subscription)
    assert clocks_of(request)[ClockKind.FIRST_RESPONSE].due_at == berlin(2026, 4, 7, 11)
    # Without a pause: 1 h Thursday, Good Friday to Easter Monday closed, 10 h Tue, 5 h Wed.
    assert clocks_of(request)[ClockKind.RESOLUTION].due_at == berlin(2026, 4, 8, 13)

    with at(test_clock, berlin(2026, 4, 2, 17, 30)):
        service_request_move(request=request, status="waiting_on_customer", actor=sysops)
    clocks = clocks_of(request)
    assert clocks[ClockKind.FIRST_RESPONSE].outcome == ClockOutcome.MET  # asking is answering
    assert clocks[ClockKind.FIRST_RESPONSE].stopped_at == berlin(2026, 4, 2, 17, 30)
    assert clocks[ClockKind.RESOLUTION].paused_since == berlin(2026, 4, 2, 17, 30)
    assert not SlaClock.objects.due_by(berlin(2027, 1, 1)).exists()  # paused: never due

    with at(test_clock, berlin(2026, 4, 7, 10)):  # the customer answers on Tuesday
        service_request_comment(request=request, actor=subscription.customer.user, body="Done.")
    resolution = clocks_of(request)[ClockKind.RESOLUTION]
    request.refresh_from_db()
    assert request.status == "in_progress" and resolution.paused_since is None
    # 2 h 30 min of service time paused (Thu 17:30-18:00, Tue 08:00-10:00) moves it along.
    assert resolution.due_at == berlin(2026, 4, 8, 15, 30)
    assert list(SlaClock.objects.due_by(berlin(2026, 4, 8, 15, 30))) == [resolution]

    with at(test_clock, berlin(2026, 4, 8, 15)):
        service_request_move(request=request, status="resolved", actor=sysops)
    resolution = clocks_of(request)[ClockKind.RESOLUTION]
    assert resolution.outcome == ClockOutcome.MET
    assert AuditEntry.objects.filter(action="sla.clock_stopped").count() == 2


def test_an_internal_note_is_no_response_and_a_late_reply_misses_the_first_response(
    subscription, test_clock, sysops
):
    with at(test_clock, berlin(2026, 3, 13, 17)):
        request = open_request(subscription)
    with at(test_clock, berlin(2026, 3, 16, 9)):
        service_request_comment(request=request, actor=sysops, body="Looking", internal=True)
    assert clocks_of(request)[ClockKind.FIRST_RESPONSE].stopped_at is None
    with at(test_clock, berlin(2026, 3, 16, 11, 30)):
        service_request_comment(request=request, actor=sysops, body="We are on it.")
    first = clocks_of(request)[ClockKind.FIRST_RESPONSE]
    assert first.stopped_at == berlin(2026, 3, 16, 11, 30)
    assert first.outcome == ClockOutcome.MISSED
    with at(test_clock, berlin(2026, 3, 16, 12)):  # a second reply changes nothing
        service_request_comment(request=request, actor=sysops, body="Still on it.")
    assert clocks_of(request)[ClockKind.FIRST_RESPONSE].stopped_at == berlin(2026, 3, 16, 11, 30)


def test_a_reopened_request_counts_resolution_on_without_the_time_it_stood_resolved(
    subscription, test_clock, sysops
):
    with at(test_clock, berlin(2026, 3, 13, 17)):
        request = open_request(subscription)
    with at(test_clock, berlin(2026, 3, 16, 9)):
        service_request_move(request=request, status="resolved", actor=sysops)
    with at(test_clock, berlin(2026, 3, 16, 12)):  # the fix did not hold
        service_request_move(request=request, status="in_progress", actor=sysops)
    resolution = clocks_of(request)[ClockKind.RESOLUTION]
    assert resolution.stopped_at is None and resolution.outcome == ClockOutcome.PENDING
    # Tuesday 13:00 moved by the 3 h it stood resolved.
    assert resolution.due_at == berlin(2026, 3, 17, 16)
    assert AuditEntry.objects.filter(action="sla.clock_restarted").count() == 1


def test_a_closed_request_stops_a_paused_resolution_clock(subscription, test_clock, sysops):
    with at(test_clock, berlin(2026, 3, 13, 17)):
        request = open_request(subscription)
    with at(test_clock, berlin(2026, 3, 16, 9)):
        service_request_move(request=request, status="waiting_on_customer", actor=sysops)
    with at(test_clock, berlin(2026, 3, 20, 9)):
        service_request_move(request=request, status="closed", actor=sysops)
    resolution = clocks_of(request)[ClockKind.RESOLUTION]
    assert resolution.stopped_at == berlin(2026, 3, 20, 9) and resolution.paused_since is None
    assert resolution.outcome == ClockOutcome.MET  # the days waiting did not count
    assert resolution.pauses.get().ended_at == berlin(2026, 3, 20, 9)


# --- Severity -------------------------------------------------------------------------------------


def test_a_severity_change_puts_the_running_clocks_on_the_new_terms_from_the_opening(
    subscription, test_clock, sysops, customer_client
):
    with at(test_clock, berlin(2026, 3, 13, 17)):
        request = open_request(subscription)
    with at(test_clock, berlin(2026, 3, 16, 8, 30)):
        service_request_change_severity(request=request, severity="high", actor=sysops)
    clocks = clocks_of(request)
    assert clocks[ClockKind.FIRST_RESPONSE].due_at == berlin(2026, 3, 16, 9)  # 2 h: 1 + 1
    assert clocks[ClockKind.RESOLUTION].due_at == berlin(2026, 3, 16, 15)  # 8 h: 1 + 7
    assert clocks[ClockKind.RESOLUTION].duration == 8 * H
    entry = AuditEntry.objects.get(action="sla.clocks_retermed")
    assert entry.changes["severity"] == "high"
    assert AuditEntry.objects.filter(action="service_request.severity_changed").count() == 1

    with at(test_clock, berlin(2026, 3, 16, 8, 45)):
        service_request_comment(request=request, actor=sysops, body="On it.")
        service_request_change_severity(request=request, severity="low", actor=sysops)
    clocks = clocks_of(request)
    assert clocks[ClockKind.FIRST_RESPONSE].outcome == ClockOutcome.MET  # judged, kept
    assert clocks[ClockKind.RESOLUTION].due_at is None
    assert clocks[ClockKind.RESOLUTION].outcome == ClockOutcome.NO_TERMS
    page = customer_client.get(reverse("requests:detail", args=[request.pk])).content.decode()
    assert "no SLA for this severity" in page


# --- Pages ----------------------------------------------------------------------------------------


def test_the_customer_sees_the_deadline_in_the_service_hours_terms(
    subscription, test_clock, customer_client, sysops
):
    with at(test_clock, berlin(2026, 3, 13, 17)):
        request = open_request(subscription)
    page = customer_client.get(reverse("requests:detail", args=[request.pk])).content.decode()
    assert "First response due by" in page
    assert "16 March 2026, 11:00" in page and "(Europe/Berlin)" in page
    assert (
        "Mon\u2013Fri 08:00\u201318:00 Europe/Berlin, closed on public holidays in Germany" in page
    )
    assert "Counted" not in page  # service-time arithmetic is for staff

    with at(test_clock, berlin(2026, 3, 16, 9)):
        service_request_move(request=request, status="waiting_on_customer", actor=sysops)
    page = customer_client.get(reverse("requests:detail", args=[request.pk])).content.decode()
    assert "Paused while we wait for your answer" in page
    assert "Met" in page


def test_staff_see_both_clocks_with_service_time_counted_and_left_at_the_customers_moment(
    subscription, test_clock, sysops_client
):
    with at(test_clock, berlin(2026, 3, 13, 17)):
        request = open_request(subscription)
    test_clock.frozen_time = berlin(2026, 3, 16, 10)  # read outside a simulation
    test_clock.save(update_fields=["frozen_time"])
    page = sysops_client.get(reverse("sysops:request_detail", args=[request.pk])).content.decode()
    # First response: 1 h Friday + 2 h Monday of 4 h.
    assert "Counted 3 h, 1 h left" in page
    # Resolution: the same 3 h of 16.
    assert "Counted 3 h, 13 h left" in page
    assert "17 March 2026, 13:00" in page

    queue = sysops_client.get(reverse("sysops:request_queue")).content.decode()
    assert "16 March 2026, 10:00 UTC" in queue  # the nearest deadline, 11:00 CET


def test_staff_change_the_severity_from_the_request_page_and_a_bad_choice_is_a_field_error(
    subscription, test_clock, sysops_client
):
    with at(test_clock, berlin(2026, 3, 13, 17)):
        request = open_request(subscription)
    url = reverse("sysops:request_severity", args=[request.pk])
    refused = sysops_client.post(url, {"severity": "urgent"})
    assert refused.status_code == 422
    assert clocks_of(request)[ClockKind.FIRST_RESPONSE].due_at == berlin(2026, 3, 16, 11)
    with clock.simulated(test_clock.pk, berlin(2026, 3, 16, 8)):
        response = sysops_client.post(url, {"severity": "high"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.severity == "high"
    assert clocks_of(request)[ClockKind.FIRST_RESPONSE].due_at == berlin(2026, 3, 16, 9)
