"""The periodic SLA check on request clocks: the assignee is warned once at 80% of the service
time, and a clock still running at its deadline is breached once (a risk event, an audit entry,
a notice). Real time never sees a test customer; advancing its test clock does. Time is the test
clock's (Essential-like terms: Berlin business hours Mon-Fri 08:00-18:00)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from onboarding.audit.models import AuditEntry
from onboarding.core import clock
from onboarding.notifications.models import Notification, OutboxMessage
from onboarding.notifications.relay import relay_drain
from onboarding.risk.models import RiskEvent, RiskLevel, RiskType
from onboarding.sla.models import ClockKind, ClockOutcome, SlaClock
from onboarding.sla.tasks import sla_clocks_check_task
from onboarding.sla.watch import sla_clocks_check
from onboarding.sysops.services import (
    service_request_assign,
    service_request_comment,
    service_request_move,
)
from onboarding.testclocks.advancing import clock_run
from onboarding.testclocks.services import clock_advance
from tests.acceptance.conftest import active_contract
from tests.concurrency import run_together
from tests.sla.calendars import berlin
from tests.sysops.conftest import open_request
from tests.sysops.sla_terms import at, new_test_clock, plan_with_sla_terms

pytestmark = pytest.mark.django_db

FRIDAY_17 = berlin(2026, 3, 13, 17)
# First response: 4 h from Friday 17:00 is due Monday 11:00; 80% (3 h 12 min) is Monday 10:12,
# the weekend closed between.
WARN = berlin(2026, 3, 16, 10, 12)
DUE = berlin(2026, 3, 16, 11)


@pytest.fixture
def test_clock(db):
    return new_test_clock()


@pytest.fixture
def contract(test_clock):
    contract = active_contract(plan=plan_with_sla_terms())
    contract.customer.test_clock = test_clock
    contract.customer.save(update_fields=["test_clock"])
    return contract


@pytest.fixture
def request_(contract, test_clock, sysops, manager):
    with at(test_clock, FRIDAY_17):
        request = open_request(contract.subscription)
        service_request_assign(request=request, assignee=sysops, actor=manager)
    return request


def first_response(request) -> SlaClock:
    return SlaClock.objects.of(request).get(kind=ClockKind.FIRST_RESPONSE)


def check_at(test_clock, moment):
    with at(test_clock, moment):
        report = sla_clocks_check()
        relay_drain(worker_id="sla-test-relay")
    return report


def notices(kind: str):
    return Notification.objects.filter(kind=f"service_request.{kind}")


def test_the_warning_at_80_percent_comes_once_after_a_closed_weekend(request_, test_clock, sysops):
    assert first_response(request_).warn_at == WARN
    assert check_at(test_clock, WARN - dt.timedelta(minutes=1)).warned == 0
    assert check_at(test_clock, WARN).warned == 1
    assert check_at(test_clock, WARN + dt.timedelta(minutes=5)).warned == 0
    assert first_response(request_).warned_at == WARN
    notice = notices("sla_warning").get()
    assert notice.recipient == sysops
    assert "due by" in notice.body_text
    assert AuditEntry.objects.filter(action="sla.clock_warned").count() == 1


def test_a_clock_running_at_its_deadline_is_breached_once(request_, test_clock, sysops, contract):
    report = check_at(test_clock, DUE)
    assert (report.warned, report.breached) == (0, 1)  # past due: the breach, not a warning
    assert check_at(test_clock, DUE + dt.timedelta(hours=1)).breached == 0
    risk = RiskEvent.objects.get()
    assert (risk.type, risk.level, risk.contract) == (
        RiskType.SLA_BREACHED,
        RiskLevel.YELLOW,
        contract,
    )
    assert request_.reference in risk.reason
    # The board words it for a German reader from its details; English is the record.
    with translation.override("de"):
        assert f"{request_.reference} (" in risk.reason_shown
        assert "erste Antwort nicht bis zur Frist" in risk.reason_shown
    with translation.override("en"):
        assert risk.reason_shown == risk.reason
    assert AuditEntry.objects.filter(action="sla.clock_breached").count() == 1
    assert notices("sla_breached").get().recipient == sysops
    assert first_response(request_).breached_at == DUE
    # Answered late: missed, and nothing raised again.
    with at(test_clock, DUE + dt.timedelta(hours=2)):
        service_request_comment(request=request_, actor=sysops, body="Looking now.", internal=False)
    assert first_response(request_).outcome == ClockOutcome.MISSED
    check_at(test_clock, DUE + dt.timedelta(hours=3))
    assert RiskEvent.objects.count() == 1
    assert notices("sla_breached").count() == 1


def test_with_nobody_assigned_the_sysops_staff_are_told(contract, test_clock, sysops):
    with at(test_clock, FRIDAY_17):
        request = open_request(contract.subscription)
    check_at(test_clock, WARN)
    assert list(notices("sla_warning").values_list("recipient", flat=True)) == [sysops.pk]
    assert first_response(request).warned_at == WARN


def test_the_warning_moves_with_the_deadline_when_a_pause_ends(contract, test_clock, sysops):
    with at(test_clock, berlin(2026, 4, 2, 17)):  # Thursday before Good Friday
        request = open_request(contract.subscription)
    resolution = SlaClock.objects.of(request).get(kind=ClockKind.RESOLUTION)
    # 80% of 16 h is 12 h 48 min: 1 h Thursday, Easter closed, 10 h Tuesday, 1 h 48 min Wed.
    assert resolution.warn_at == berlin(2026, 4, 8, 9, 48)
    with at(test_clock, berlin(2026, 4, 2, 17, 30)):
        service_request_move(request=request, status="waiting_on_customer", actor=sysops)
    with at(test_clock, berlin(2026, 4, 7, 10)):
        service_request_comment(request=request, actor=contract.customer.user, body="Done.")
    resolution.refresh_from_db()
    # 2 h 30 min of service time paused: the warning moves as the deadline does.
    assert (resolution.warn_at, resolution.due_at) == (
        berlin(2026, 4, 8, 12, 18),
        berlin(2026, 4, 8, 15, 30),
    )


def test_a_paused_clock_is_neither_warned_nor_breached(request_, test_clock, sysops):
    with at(test_clock, berlin(2026, 3, 13, 17, 30)):
        service_request_move(
            request=request_, actor=sysops, status="waiting_on_customer", note="Which browser?"
        )
    report = check_at(test_clock, berlin(2026, 4, 30, 12))
    assert (report.warned, report.breached) == (0, 0)
    assert not RiskEvent.objects.exists()
    assert not SlaClock.objects.of(request_).filter(warned_at__isnull=False).exists()


def test_the_real_check_skips_a_test_customer_and_its_clock_advance_runs_it(
    request_, test_clock, admin_user
):
    real = sla_clocks_check(now=berlin(2026, 12, 1, 12))
    assert (real.warned, real.breached) == (0, 0)
    assert not OutboxMessage.objects.filter(topic__startswith="sla.").exists()
    clock_advance(actor=admin_user, clock_id=test_clock.pk, to=berlin(2026, 3, 16, 12))
    clock_run(clock_id=test_clock.pk)
    clock_ = first_response(request_)
    # The advance stops at the 80% moment and at the deadline, not only at day boundaries.
    assert (clock_.warned_at, clock_.breached_at) == (WARN, DUE)
    assert RiskEvent.objects.get().type == RiskType.SLA_BREACHED
    assert notices("sla_warning").count() == notices("sla_breached").count() == 1


def test_the_staff_request_page_shows_the_breach(request_, test_clock, client, sysops):
    check_at(test_clock, DUE)
    client.force_login(sysops)
    with clock.simulated(test_clock.pk, DUE):
        page = client.get(reverse("sysops:request_detail", args=[request_.pk]))
    assert "Breached: still running at its deadline" in page.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_checks_warn_and_breach_each_clock_once(
    require_postgres, contract, test_clock, sysops
):
    with at(test_clock, FRIDAY_17):
        requests = [open_request(contract.subscription) for _ in range(4)]

    def check(_index):
        with clock.simulated(test_clock.pk, DUE):
            return sla_clocks_check()

    reports = run_together(4, check)
    assert sum(r.breached for r in reports) == 4  # the four first-response clocks
    assert sum(r.warned for r in reports) == 0
    # Resolution (16 h) is warned at 80%, Tuesday 09:48: once each.
    late = berlin(2026, 3, 17, 9, 48)

    def warn(_index):
        with clock.simulated(test_clock.pk, late):
            return sla_clocks_check()

    assert sum(r.warned for r in run_together(4, warn)) == 4
    relay_drain(worker_id="sla-test-relay")
    assert RiskEvent.objects.filter(type=RiskType.SLA_BREACHED).count() == len(requests)
    assert AuditEntry.objects.filter(action="sla.clock_breached").count() == 4
    assert AuditEntry.objects.filter(action="sla.clock_warned").count() == 4


def test_the_worker_runs_the_check_every_minute_for_real_customers(settings, request_):
    assert settings.WORKER_PERIODIC_TASKS["onboarding.sla.tasks.sla_clocks_check_task"] == 60
    # Real time, far past every deadline: the test customer's clocks are not the real job's.
    assert sla_clocks_check_task.call() == {"warned": 0, "breached": 0}
