"""A yellow or red review runs an SLA clock to its next action (acceptance/clocks.py): started
when the review opens, on the seed's Essential terms (Berlin business hours Mon-Fri 08:00-18:00,
DE holidays; critical 16 h, high 30 h to resolution), stopped by the manager's next action (met
or missed), re-termed when the rating moves between yellow and red, stopped when the review
closes without an action; warned at 80% and breached once. The seed's business hours follow the
customer (docs/sla.md): the customers here are in Germany, so they count in Berlin. Time is a
test clock's, so the same tests show the clocks run on simulated time."""

import datetime as dt
from datetime import UTC
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from onboarding.acceptance.clocks import SEVERITY_OF_RATING
from onboarding.acceptance.models import Rating, Requirement, Review, ReviewState
from onboarding.acceptance.requirements import (
    contract_plan_changed,
    requirement_add,
    requirement_rate,
)
from onboarding.acceptance.reviews import (
    review_acknowledge,
    review_escalate,
    review_request_remediation,
)
from onboarding.acceptance.timers import timers_fire_due
from onboarding.audit.models import AuditEntry
from onboarding.catalog.models import Tier
from onboarding.contracts.models import Contract, ContractState
from onboarding.core import clock
from onboarding.notifications.models import Notification, OutboxMessage
from onboarding.notifications.relay import relay_drain
from onboarding.risk.models import RiskEvent, RiskLevel, RiskType
from onboarding.risk.services import risk_event_raise
from onboarding.sla.models import ClockKind, ClockOutcome, Severity, SlaClock
from onboarding.sla.seed import sla_seed
from onboarding.sla.watch import sla_clocks_check
from onboarding.testclocks.advancing import clock_run
from onboarding.testclocks.services import clock_advance
from tests.acceptance.conftest import active_contract
from tests.factories import complete_profile, plan_with_prices, staff_user
from tests.sla.calendars import berlin
from tests.sysops.sla_terms import at, new_test_clock

pytestmark = pytest.mark.django_db

FRIDAY_17 = berlin(2026, 3, 13, 17)
# Red (critical, 16 h): 1 h Friday, the weekend closed, 10 h Monday, 5 h Tuesday.
RED_DUE = berlin(2026, 3, 17, 13)
RED_WARN = berlin(2026, 3, 17, 9, 48)  # 80%: 12 h 48 min
# Yellow (high, 30 h): 1 h Friday, 10 h Monday, 10 h Tuesday, 9 h Wednesday.
YELLOW_DUE = berlin(2026, 3, 18, 17)
YELLOW_WARN = berlin(2026, 3, 18, 11)  # 80%: 24 h


def essential_plan():
    plan = plan_with_prices("essential-care")
    plan.tier = Tier.ESSENTIAL
    plan.save(update_fields=["tier"])
    sla_seed()
    return plan


@pytest.fixture
def test_clock(db):
    return new_test_clock()


@pytest.fixture
def contract(test_clock):
    contract = active_contract(plan=essential_plan())
    in_berlin(contract.customer)
    contract.customer.test_clock = test_clock
    contract.customer.save(update_fields=["test_clock"])
    return contract


def in_berlin(customer) -> None:
    """A customer in Germany: the seed's business hours count in Berlin, on DE holidays."""
    complete_profile(customer, country="DE", city="Berlin")


def rate(test_clock, moment, contract, actor, rating) -> Review | None:
    with at(test_clock, moment):
        requirement = Requirement.objects.filter(contract=contract).first()
        if requirement is None:
            requirement_add(
                contract=contract,
                actor=actor,
                title="Remote access",
                criteria="VPN works",
                rating=rating,
            )
        else:
            requirement_rate(requirement=requirement, actor=actor, rating=rating)
    return Review.objects.filter(contract=contract, closed_at__isnull=True).first()


def utc(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def clock_of(review) -> SlaClock:
    return SlaClock.objects.of(review).get()


def test_the_rating_maps_to_one_severity_each():
    assert SEVERITY_OF_RATING == {Rating.RED: Severity.CRITICAL, Rating.YELLOW: Severity.HIGH}


def test_a_red_review_starts_its_clock_on_critical_terms_over_the_weekend(
    contract, test_clock, sysops, manager
):
    review = rate(test_clock, FRIDAY_17, contract, sysops, Rating.RED)
    sla_clock = clock_of(review)
    assert (sla_clock.kind, sla_clock.severity, sla_clock.outcome) == (
        ClockKind.RESOLUTION,
        Severity.CRITICAL,
        ClockOutcome.PENDING,
    )
    assert (sla_clock.subject_type, sla_clock.customer) == ("acceptance.review", contract.customer)
    assert sla_clock.duration == dt.timedelta(hours=16)
    assert (sla_clock.started_at, sla_clock.due_at, sla_clock.warn_at) == (
        FRIDAY_17,
        RED_DUE,
        RED_WARN,
    )
    entry = AuditEntry.objects.get(action="sla.clocks_started")
    assert entry.changes["resolution_due"] == utc(RED_DUE)
    assert entry.changes["simulated_at"] == FRIDAY_17.isoformat()


def test_a_yellow_review_starts_its_clock_on_high_terms(contract, test_clock, sysops, manager):
    sla_clock = clock_of(rate(test_clock, FRIDAY_17, contract, sysops, Rating.YELLOW))
    assert (sla_clock.severity, sla_clock.due_at, sla_clock.warn_at) == (
        Severity.HIGH,
        YELLOW_DUE,
        YELLOW_WARN,
    )


def test_a_green_review_runs_no_clock(contract, test_clock, sysops):
    rate(test_clock, FRIDAY_17, contract, sysops, Rating.GREEN)
    assert not SlaClock.objects.exists()


def test_acknowledging_is_not_the_next_action_requesting_remediation_is(
    contract, test_clock, sysops, manager
):
    review = rate(test_clock, FRIDAY_17, contract, sysops, Rating.RED)
    with at(test_clock, berlin(2026, 3, 16, 9)):
        review_acknowledge(review=review, actor=manager)
    assert clock_of(review).stopped_at is None
    with at(test_clock, berlin(2026, 3, 16, 10)):
        review_request_remediation(
            review=review, actor=manager, owner=sysops, due=dt.date(2026, 3, 20), note="Fix VPN"
        )
    sla_clock = clock_of(review)
    assert (sla_clock.stopped_at, sla_clock.outcome) == (berlin(2026, 3, 16, 10), ClockOutcome.MET)
    # A second action changes nothing: the next action was the first.
    with at(test_clock, berlin(2026, 3, 18, 10)):
        review_escalate(review=review, actor=manager, note="Still broken")
    assert clock_of(review).outcome == ClockOutcome.MET
    assert AuditEntry.objects.filter(action="sla.clock_stopped").count() == 1


def test_an_action_after_the_deadline_is_missed(contract, test_clock, sysops, manager):
    review = rate(test_clock, FRIDAY_17, contract, sysops, Rating.RED)
    with at(test_clock, berlin(2026, 3, 17, 14)):
        review_escalate(review=review, actor=manager, note="Needs the CTO")
    sla_clock = clock_of(review)
    assert (sla_clock.stopped_at, sla_clock.outcome) == (
        berlin(2026, 3, 17, 14),
        ClockOutcome.MISSED,
    )


def test_yellow_then_red_re_terms_the_clock_counted_from_the_yellow(
    contract, test_clock, sysops, manager
):
    yellow = rate(test_clock, FRIDAY_17, contract, sysops, Rating.YELLOW)
    red = rate(test_clock, berlin(2026, 3, 16, 10), contract, sysops, Rating.RED)
    assert red.pk != yellow.pk and red.rating == Rating.RED
    assert not SlaClock.objects.of(yellow).exists()  # carried over, not stopped
    sla_clock = clock_of(red)
    assert (sla_clock.severity, sla_clock.started_at, sla_clock.due_at) == (
        Severity.CRITICAL,
        FRIDAY_17,
        RED_DUE,
    )
    entry = AuditEntry.objects.get(action="sla.clocks_retermed")
    assert entry.changes["resolution_due"] == [utc(YELLOW_DUE), utc(RED_DUE)]
    assert entry.changes["carried_from"] == f"acceptance.review#{yellow.pk}"


def test_red_after_an_acted_yellow_starts_a_new_clock(contract, test_clock, sysops, manager):
    yellow = rate(test_clock, FRIDAY_17, contract, sysops, Rating.YELLOW)
    with at(test_clock, berlin(2026, 3, 16, 9)):
        review_request_remediation(
            review=yellow, actor=manager, owner=sysops, due=dt.date(2026, 3, 20), note="Fix it"
        )
    red = rate(test_clock, berlin(2026, 3, 16, 10), contract, sysops, Rating.RED)
    assert clock_of(yellow).outcome == ClockOutcome.MET
    # Critical, 16 h from Monday 10:00: 8 h Monday, 8 h Tuesday.
    assert (clock_of(red).started_at, clock_of(red).due_at) == (
        berlin(2026, 3, 16, 10),
        berlin(2026, 3, 17, 16),
    )


def test_a_review_closed_without_an_action_stops_its_clock(contract, test_clock, sysops, manager):
    red = rate(test_clock, FRIDAY_17, contract, sysops, Rating.RED)
    rate(test_clock, berlin(2026, 3, 16, 11), contract, sysops, Rating.GREEN)
    red.refresh_from_db()
    assert red.state == ReviewState.SUPERSEDED
    sla_clock = clock_of(red)
    assert (sla_clock.stopped_at, sla_clock.outcome) == (berlin(2026, 3, 16, 11), ClockOutcome.MET)
    assert not SlaClock.objects.running().exists()


def test_a_plan_change_puts_the_running_clock_on_the_new_plans_terms(
    contract, test_clock, sysops, manager
):
    review = rate(test_clock, FRIDAY_17, contract, sysops, Rating.RED)
    business = plan_with_prices("business-care")  # tier business: extended hours, 8 h
    sla_seed()
    contract.plan = business
    contract.save(update_fields=["plan"])
    with at(test_clock, berlin(2026, 3, 16, 9)):
        contract_plan_changed(SimpleNamespace(payload={"contract_id": contract.pk}), None)
    sla_clock = clock_of(review)
    # 8 h of Mon-Fri 07:00-20:00 from Friday 17:00: 3 h Friday, 5 h Monday.
    assert (sla_clock.severity, sla_clock.due_at) == (Severity.CRITICAL, berlin(2026, 3, 16, 12))
    assert sla_clock.service_hours.name.startswith("Extended hours")


# --- the 80% warning and the breach ---------------------------------------------------------------


def check_at(test_clock, moment):
    with at(test_clock, moment):
        report = sla_clocks_check()
        relay_drain(worker_id="acceptance-sla-test-relay")
    return report


def notices(kind: str):
    return Notification.objects.filter(kind=f"acceptance_sla_{kind}")


def test_the_warning_comes_once_to_every_manager_and_the_breach_raises_one_risk(
    contract, test_clock, sysops, manager
):
    other = staff_user("manager", email="max.manager@example.com")
    review = rate(test_clock, FRIDAY_17, contract, sysops, Rating.RED)
    assert check_at(test_clock, RED_WARN - dt.timedelta(minutes=1)).warned == 0
    assert check_at(test_clock, RED_WARN).warned == 1
    assert check_at(test_clock, RED_WARN + dt.timedelta(minutes=5)).warned == 0
    assert set(notices("warning").values_list("recipient", flat=True)) == {manager.pk, other.pk}
    assert "it is due by 17 March 2026, 12:00 UTC" in notices("warning").first().body_text

    report = check_at(test_clock, RED_DUE)
    assert (report.warned, report.breached) == (0, 1)
    assert check_at(test_clock, RED_DUE + dt.timedelta(hours=1)).breached == 0
    risk = RiskEvent.objects.get(type=RiskType.SLA_BREACHED)
    assert (risk.level, risk.rating, risk.contract) == (RiskLevel.RED, Rating.RED, contract)
    assert risk.dedupe_key == f"sla-clock:{clock_of(review).pk}"
    assert "next action not done" in risk.reason
    with translation.override("de"):
        assert risk.reason_shown.startswith(f"Rote Abnahme des Vertrags {contract}: nächster")
        assert "Schritt nicht bis zur Frist" in risk.reason_shown
    assert notices("breached").count() == 2
    assert AuditEntry.objects.filter(action="sla.clock_breached").count() == 1
    # Done late: missed, and nothing raised again.
    with at(test_clock, RED_DUE + dt.timedelta(hours=2)):
        review_escalate(review=review, actor=manager, note="Late, sorry")
    assert clock_of(review).outcome == ClockOutcome.MISSED
    check_at(test_clock, RED_DUE + dt.timedelta(hours=3))
    assert RiskEvent.objects.filter(type=RiskType.SLA_BREACHED).count() == 1
    assert notices("breached").count() == 2


def test_the_manager_who_acknowledged_is_the_one_warned(contract, test_clock, sysops, manager):
    staff_user("manager", email="max.manager@example.com")
    review = rate(test_clock, FRIDAY_17, contract, sysops, Rating.YELLOW)
    with at(test_clock, berlin(2026, 3, 16, 9)):
        review_acknowledge(review=review, actor=manager)
    check_at(test_clock, YELLOW_WARN)
    assert list(notices("warning").values_list("recipient", flat=True)) == [manager.pk]
    check_at(test_clock, YELLOW_DUE)
    risk = RiskEvent.objects.get(type=RiskType.SLA_BREACHED)
    assert (risk.level, risk.rating) == (RiskLevel.YELLOW, Rating.YELLOW)
    assert list(notices("breached").values_list("recipient", flat=True)) == [manager.pk]


def test_a_contract_no_longer_in_force_owes_no_action(contract, test_clock, sysops, manager):
    rate(test_clock, FRIDAY_17, contract, sysops, Rating.RED)
    Contract.objects.filter(pk=contract.pk).update(state=ContractState.CANCELLED)
    assert check_at(test_clock, RED_DUE).breached == 1
    assert not RiskEvent.objects.filter(type=RiskType.SLA_BREACHED).exists()
    assert not notices("breached").exists()


def test_the_real_check_skips_a_test_customer_and_the_clock_advance_runs_it(
    contract, test_clock, sysops, manager, admin_user
):
    review = rate(test_clock, FRIDAY_17, contract, sysops, Rating.RED)
    real = sla_clocks_check(now=berlin(2026, 12, 1, 12))
    assert (real.warned, real.breached) == (0, 0)
    assert not OutboxMessage.objects.filter(topic__startswith="sla.").exists()
    clock_advance(actor=admin_user, clock_id=test_clock.pk, to=berlin(2026, 3, 17, 14))
    clock_run(clock_id=test_clock.pk)
    sla_clock = clock_of(review)
    # The advance stops at the 80% moment and at the deadline.
    assert (sla_clock.warned_at, sla_clock.breached_at) == (RED_WARN, RED_DUE)
    assert RiskEvent.objects.filter(type=RiskType.SLA_BREACHED).count() == 1
    assert notices("warning").count() == notices("breached").count() == 1


# --- shown: the acceptance page and the risk board ------------------------------------------------


def page_text(client, contract) -> str:
    return client.get(reverse("acceptance:contract", args=[contract.pk])).content.decode()


def test_the_acceptance_page_shows_the_deadline_time_left_overdue_and_met(
    contract, test_clock, sysops, manager, manager_client
):
    review = rate(test_clock, FRIDAY_17, contract, sysops, Rating.RED)
    # Read outside a simulation: the test customer's clock moment (Monday 10:00).
    with at(test_clock, berlin(2026, 3, 16, 10)):
        pass
    text = page_text(manager_client, contract)
    assert 'id="next-action-clock" data-outcome="running"' in text
    assert "Due by" in text and "17 March 2026, 13:00</time> (Europe/Berlin)" in text
    # 16 h less 1 h Friday and 2 h Monday.
    assert "13 h of service time left" in text
    # The embedded customer view's acceptance flag says it too.
    assert "Next action due by 17 March 2026, 13:00 (Europe/Berlin)." in text
    assert "the plan's resolution time for critical requests" in text

    check_at(test_clock, RED_DUE + dt.timedelta(minutes=90))
    text = page_text(manager_client, contract)
    assert 'data-outcome="overdue"' in text and "overdue by 1 h 30 min" in text
    assert "Breached: not done by its deadline" in text

    with at(test_clock, RED_DUE + dt.timedelta(hours=2)):
        review_request_remediation(
            review=review, actor=manager, owner=sysops, due=dt.date(2026, 3, 20), note="Fix"
        )
    text = page_text(manager_client, contract)
    assert 'data-outcome="missed"' in text and "2 h late" in text


def test_the_rated_fragment_carries_the_clock(contract, test_clock, sysops, sysops_client):
    with at(test_clock, FRIDAY_17):
        requirement_add(
            contract=contract, actor=sysops, title="Remote access", criteria="VPN", rating="green"
        )
    requirement = Requirement.objects.get(contract=contract)
    with clock.simulated(test_clock.pk, FRIDAY_17):
        answer = sysops_client.post(
            reverse("acceptance:rate", args=[requirement.pk]),
            {"rating": "yellow", "note": ""},
            HTTP_HX_REQUEST="true",
        )
    assert answer.status_code == 200
    assert "18 March 2026, 17:00</time> (Europe/Berlin)" in answer.content.decode()


@pytest.fixture
def real_contracts(db):
    """Three real customers' contracts, each red now with an open risk on the board."""
    plan = essential_plan()
    contracts = []
    for n in range(3):
        contract = active_contract(plan=plan, number=f"CTR-2026-0002{n:02d}")
        in_berlin(contract.customer)
        contracts.append(contract)
    return contracts


def board_text(client) -> str:
    return client.get(reverse("risk:board")).content.decode()


def test_the_risk_board_shows_each_contracts_next_action_deadline_in_one_query(
    real_contracts, sysops, manager, sysops_client
):
    first = real_contracts[0]
    for contract in real_contracts:
        requirement_add(
            contract=contract, actor=sysops, title="Remote access", criteria="VPN", rating="red"
        )
        risk_event_raise(
            type=RiskType.ACCEPTANCE_UNACKNOWLEDGED,
            level=RiskLevel.RED,
            rating="red",
            contract=contract,
            reason=f"Red acceptance of contract {contract} not acknowledged",
            dedupe_key=f"test:{contract.pk}",
        )
    due = clock_of(Review.objects.get(contract=first)).due_at
    text = board_text(sysops_client)
    assert text.count('data-next-action="running"') == 3
    assert "Next action due by" in text and "(Europe/Berlin)" in text
    assert f'datetime="{due.isoformat()}"' in text

    # The deadlines are one read for the whole board: as many queries for 1 row as for 3.
    with CaptureQueriesContext(connection) as three:
        sysops_client.get(reverse("risk:board"))
    RiskEvent.objects.exclude(contract=first).update(state="resolved")
    with CaptureQueriesContext(connection) as one:
        sysops_client.get(reverse("risk:board"))
    assert len(one) == len(three)
    assert sum("sla_slaclock" in q["sql"] for q in one.captured_queries) == 1


def test_a_risk_that_arrives_live_on_the_board_carries_the_deadline(
    real_contracts, sysops, manager, sysops_client, settings
):
    settings.RISK_BOARD_STREAM_SECONDS = 0  # one pass, then the stream ends
    contract = real_contracts[0]
    requirement_add(
        contract=contract, actor=sysops, title="Remote access", criteria="VPN", rating="red"
    )
    timers_fire_due(
        now=timezone.now() + dt.timedelta(seconds=settings.ACCEPTANCE_RED_ACK_SECONDS + 1)
    )
    body = b"".join(
        sysops_client.get(f"{reverse('risk:events')}?after=0").streaming_content
    ).decode()
    assert body.count("event: risk\n") == 1
    assert "Next action due by" in body and "(Europe/Berlin)" in body
