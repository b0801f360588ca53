"""The count of requests answered late (the staff navigation's Requests badge) reads the SLA
clocks: a first-response clock still running past its deadline, or breached and running on."""

import datetime as dt

import pytest
from django.utils import timezone

from onboarding.core import clock
from onboarding.sla.models import ClockKind, SlaClock
from onboarding.sla.services import sla_clocks_pause
from onboarding.sla.watch import sla_clocks_check
from onboarding.sysops.requests import service_request_overdue_count
from onboarding.sysops.services import service_request_comment, service_request_move
from tests.sla.calendars import berlin
from tests.sysops.conftest import open_request, subscribe
from tests.sysops.sla_terms import at, new_test_clock, plan_with_sla_terms, subscribe_on_clock

pytestmark = pytest.mark.django_db

DUE = berlin(2026, 3, 16, 11)  # opened Fri 13 Mar 17:00 CET, normal: 4 h of business hours


@pytest.fixture
def plan(db):
    return plan_with_sla_terms()


@pytest.fixture
def test_clock(db):
    return new_test_clock()


@pytest.fixture
def request_(customer, plan, test_clock):
    subscription = subscribe_on_clock(customer, plan, test_clock)
    with at(test_clock, berlin(2026, 3, 13, 17)):
        return open_request(subscription)


def overdue_at(test_clock, moment) -> int:
    with at(test_clock, moment):
        return service_request_overdue_count()


def test_a_request_is_overdue_from_its_first_response_deadline(request_, test_clock):
    assert overdue_at(test_clock, DUE - dt.timedelta(microseconds=1)) == 0
    assert overdue_at(test_clock, DUE) == 1


def test_a_breached_request_stays_overdue_until_answered_and_then_is_not(
    request_, test_clock, sysops
):
    with at(test_clock, DUE):
        sla_clocks_check()
    assert overdue_at(test_clock, berlin(2026, 3, 16, 12)) == 1
    with at(test_clock, berlin(2026, 3, 16, 13)):
        service_request_comment(request=request_, actor=sysops, body="Looking at it now.")
    assert overdue_at(test_clock, berlin(2026, 3, 16, 14)) == 0


def test_a_request_in_progress_on_time_is_never_overdue(request_, test_clock, sysops):
    with at(test_clock, berlin(2026, 3, 16, 9)):
        service_request_move(request=request_, status="in_progress", actor=sysops)
    assert overdue_at(test_clock, berlin(2026, 3, 30, 9)) == 0


def test_a_paused_first_response_clock_is_not_overdue(request_, test_clock):
    with at(test_clock, berlin(2026, 3, 16, 10)):
        sla_clocks_pause(subject=request_, at=clock.now())
    assert overdue_at(test_clock, berlin(2026, 3, 17, 9)) == 0


def test_a_severity_without_terms_is_never_overdue(customer, plan):
    subscription = subscribe(customer, plan)
    open_request(subscription, severity="low")
    assert service_request_overdue_count(now=timezone.now() + dt.timedelta(days=365)) == 0


def test_real_time_counts_real_customers_only(request_, customer, other_customer, plan):
    # The test clock's customer is long overdue in its own time, but not in real time.
    late = open_request(subscribe(other_customer, plan))
    first = SlaClock.objects.of(late).get(kind=ClockKind.FIRST_RESPONSE)
    assert service_request_overdue_count(now=first.due_at) == 1
    assert service_request_overdue_count(now=first.due_at - dt.timedelta(seconds=1)) == 0
