"""A review's next-action clock stops when its contract ends other than by the review's own
action (acceptance/clocks.py, docs/sla.md "Acceptance clocks"): cancelled by a person, ended
with the subscription billing cancelled, expired. Contracts publish "contract.ended" (they sit
below acceptance); its consumer stops the clocks at the moment the contract ended, with the
reason, audited. A clock on an ended contract never breaches afterwards, also when the periodic
check claimed the breach between the end and the message's delivery (the breach is withdrawn)
or ran at the same moment (PostgreSQL, two threads).

The terms are test_next_action_clocks.py's: Essential, a customer in Germany, red (critical,
16 h) on Fri 13 Mar 2026 17:00 CET, due Tue 17 Mar 13:00."""

import datetime as dt
from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from onboarding.acceptance.clocks import contract_ended, contract_ended_at
from onboarding.acceptance.models import Rating, Requirement, Review
from onboarding.acceptance.requirements import requirement_add, requirement_rate
from onboarding.acceptance.reviews import review_cancel_contract
from onboarding.acceptance.sla_alerts import review_clock_breached
from onboarding.audit.models import AuditEntry
from onboarding.billing.models import SubscriptionStatus
from onboarding.catalog.models import Tier
from onboarding.contracts.lifecycle import contract_cancel, contracts_lifecycle_advance
from onboarding.contracts.models import Contract, ContractState
from onboarding.contracts.transitions import CONTRACT_ENDED_TOPIC
from onboarding.core import clock
from onboarding.notifications.models import Notification, OutboxMessage
from onboarding.notifications.registry import PermanentDeliveryError
from onboarding.notifications.relay import relay_drain
from onboarding.risk.models import RiskEvent, RiskType
from onboarding.sla.models import ClockOutcome, SlaClock
from onboarding.sla.seed import sla_seed
from onboarding.sla.watch import sla_clock_breach, sla_clocks_check
from tests.acceptance.conftest import active_contract
from tests.concurrency import run_together
from tests.factories import complete_profile, plan_with_prices
from tests.sla.calendars import berlin
from tests.sysops.sla_terms import at, new_test_clock

pytestmark = pytest.mark.django_db

FRIDAY_17 = berlin(2026, 3, 13, 17)
RED_DUE = berlin(2026, 3, 17, 13)
MONDAY_10 = berlin(2026, 3, 16, 10)


@pytest.fixture
def test_clock(db):
    return new_test_clock()


@pytest.fixture
def contract(test_clock):
    plan = plan_with_prices("essential-care")
    plan.tier = Tier.ESSENTIAL
    plan.save(update_fields=["tier"])
    sla_seed()
    contract = active_contract(plan=plan)
    complete_profile(contract.customer, country="DE", city="Berlin")
    contract.customer.test_clock = test_clock
    contract.customer.save(update_fields=["test_clock"])
    return contract


def red_review(test_clock, contract, actor) -> Review:
    with at(test_clock, FRIDAY_17):
        requirement_add(
            contract=contract, actor=actor, title="Remote access", criteria="VPN", rating="red"
        )
    return Review.objects.get(contract=contract, closed_at__isnull=True)


def clock_of(review) -> SlaClock:
    return SlaClock.objects.of(review).get()


def deliver(test_clock, moment) -> None:
    with at(test_clock, moment):
        relay_drain(worker_id="contract-end-test-relay")


def breach_risks():
    return RiskEvent.objects.filter(type=RiskType.SLA_BREACHED)


def test_cancelling_the_contract_stops_the_clock_with_a_reason_and_it_never_breaches(
    contract, test_clock, sysops, manager
):
    review = red_review(test_clock, contract, sysops)
    with at(test_clock, MONDAY_10):
        contract_cancel(contract=contract, actor=sysops, reason="Customer left")
    message = OutboxMessage.objects.get(topic=CONTRACT_ENDED_TOPIC)
    assert message.payload["state"] == ContractState.CANCELLED
    assert message.payload["ended_at"] == MONDAY_10.isoformat()
    deliver(test_clock, MONDAY_10)

    sla_clock = clock_of(review)
    assert (sla_clock.stopped_at, sla_clock.outcome) == (MONDAY_10, ClockOutcome.MET)
    assert sla_clock.stop_reason == (
        f"contract {contract.number} cancelled: no next action is owed"
    )
    entry = AuditEntry.objects.get(action="sla.clock_stopped")
    assert entry.changes["reason"] == sla_clock.stop_reason
    assert (entry.object_type, entry.object_id) == ("acceptance.review", str(review.pk))

    with at(test_clock, RED_DUE + dt.timedelta(hours=1)):
        assert sla_clocks_check().breached == 0
        relay_drain(worker_id="contract-end-test-relay")
    assert clock_of(review).breached_at is None
    assert not breach_risks().exists()
    assert not Notification.objects.filter(kind="acceptance_sla_breached").exists()


def test_the_reviews_own_cancel_action_judges_the_clock_and_the_end_changes_nothing(
    contract, test_clock, sysops, manager
):
    review = red_review(test_clock, contract, sysops)
    with at(test_clock, MONDAY_10):
        review_cancel_contract(review=review, actor=manager, reason="Not viable")
    deliver(test_clock, MONDAY_10)
    sla_clock = clock_of(review)
    assert (sla_clock.stopped_at, sla_clock.outcome, sla_clock.stop_reason) == (
        MONDAY_10,
        ClockOutcome.MET,
        "",
    )
    assert AuditEntry.objects.filter(action="sla.clock_stopped").count() == 1


def test_billing_cancelling_the_subscription_ends_the_contract_and_stops_the_clock(
    contract, test_clock, sysops
):
    """Dunning gave up (or the customer's stop at the period's end came): billing cancelled the
    subscription, and the periodic pass ends the contract with it."""
    review = red_review(test_clock, contract, sysops)
    contract.subscription.status = SubscriptionStatus.CANCELLED
    contract.subscription.save(update_fields=["status"])
    with at(test_clock, MONDAY_10):
        assert contracts_lifecycle_advance().cancelled == 1
        relay_drain(worker_id="contract-end-test-relay")
    sla_clock = clock_of(review)
    assert (sla_clock.stopped_at, sla_clock.outcome) == (MONDAY_10, ClockOutcome.MET)
    assert "cancelled: no next action is owed" in sla_clock.stop_reason


def test_an_expired_contract_stops_the_clock_at_the_end_of_its_term(
    contract, test_clock, sysops, settings
):
    settings.CONTRACT_AUTO_RENEW = False
    review = red_review(test_clock, contract, sysops)
    term_end = berlin(2026, 3, 16, 12)
    Contract.objects.filter(pk=contract.pk).update(
        term_start=term_end - dt.timedelta(days=365), term_end=term_end
    )
    # The pass runs after the deadline, yet the contract ended with its term, before it.
    with at(test_clock, RED_DUE + dt.timedelta(minutes=30)):
        assert contracts_lifecycle_advance().expired == 1
        relay_drain(worker_id="contract-end-test-relay")
    sla_clock = clock_of(review)
    assert (sla_clock.stopped_at, sla_clock.outcome) == (term_end, ClockOutcome.MET)
    assert "expired: no next action is owed" in sla_clock.stop_reason
    assert sla_clock.breached_at is None


def test_a_breach_claimed_after_the_end_but_before_its_delivery_is_withdrawn(
    contract, test_clock, sysops, manager
):
    """The race: the contract is cancelled before the deadline, the periodic check runs past
    the deadline before the relay delivered "contract.ended", and claims the breach."""
    review = red_review(test_clock, contract, sysops)
    ended = RED_DUE - dt.timedelta(hours=1)
    with at(test_clock, ended):
        contract_cancel(contract=contract, actor=sysops)
    with at(test_clock, RED_DUE + dt.timedelta(minutes=5)):
        assert sla_clocks_check().breached == 1
        relay_drain(worker_id="contract-end-test-relay")
    sla_clock = clock_of(review)
    assert (sla_clock.stopped_at, sla_clock.outcome) == (ended, ClockOutcome.MET)
    assert (sla_clock.breached_at, sla_clock.breached_plan) == (None, None)
    withdrawn = AuditEntry.objects.get(action="sla.breach_withdrawn")
    assert withdrawn.changes["breached_at"] == [
        (RED_DUE + dt.timedelta(minutes=5)).astimezone(dt.UTC).isoformat(),
        None,
    ]
    assert not breach_risks().exists()
    assert not Notification.objects.filter(kind="acceptance_sla_breached").exists()
    # Checked again: a stopped clock never breaches.
    with at(test_clock, RED_DUE + dt.timedelta(hours=3)):
        assert sla_clocks_check().breached == 0


def test_the_breach_message_handled_before_the_end_raises_nothing(
    contract, test_clock, sysops, manager
):
    review = red_review(test_clock, contract, sysops)
    with at(test_clock, RED_DUE - dt.timedelta(hours=1)):
        contract_cancel(contract=contract, actor=sysops)
    sla_clock = clock_of(review)
    with at(test_clock, RED_DUE):
        assert sla_clock_breach(clock_id=sla_clock.pk, now=RED_DUE)
    breached = OutboxMessage.objects.get(topic="sla.clock_breached")
    ended = OutboxMessage.objects.get(topic=CONTRACT_ENDED_TOPIC)
    # Delivered in the other order than written.
    review_clock_breached(breached)
    contract_ended(ended, None)
    assert not breach_risks().exists()
    sla_clock.refresh_from_db()
    assert (sla_clock.breached_at, sla_clock.outcome) == (None, ClockOutcome.MET)


def test_a_breach_before_the_end_stands_and_the_end_stops_the_clock_missed(
    contract, test_clock, sysops, manager
):
    review = red_review(test_clock, contract, sysops)
    with at(test_clock, RED_DUE):
        sla_clocks_check()
        relay_drain(worker_id="contract-end-test-relay")
    assert breach_risks().count() == 1
    later = RED_DUE + dt.timedelta(hours=1)
    with at(test_clock, later):
        contract_cancel(contract=contract, actor=sysops)
        relay_drain(worker_id="contract-end-test-relay")
    sla_clock = clock_of(review)
    assert (sla_clock.stopped_at, sla_clock.outcome, sla_clock.breached_at) == (
        later,
        ClockOutcome.MISSED,
        RED_DUE,
    )
    assert not AuditEntry.objects.filter(action="sla.breach_withdrawn").exists()
    assert breach_risks().count() == 1


def test_a_rating_superseded_clock_carried_over_is_stopped_too(
    contract, test_clock, sysops, manager
):
    """Yellow then red: the red review carries the clock; the end stops it on the red one."""
    with at(test_clock, FRIDAY_17):
        requirement_add(
            contract=contract, actor=sysops, title="Remote access", criteria="VPN", rating="yellow"
        )
    with at(test_clock, MONDAY_10):
        requirement_rate(
            requirement=Requirement.objects.get(contract=contract), actor=sysops, rating="red"
        )
    red = Review.objects.get(contract=contract, closed_at__isnull=True)
    assert red.rating == Rating.RED
    with at(test_clock, MONDAY_10 + dt.timedelta(hours=1)):
        contract_cancel(contract=contract, actor=sysops)
        relay_drain(worker_id="contract-end-test-relay")
    assert not SlaClock.objects.filter(stopped_at__isnull=True).exists()
    assert clock_of(red).stopped_at == MONDAY_10 + dt.timedelta(hours=1)


def test_a_malformed_or_untrue_message_is_refused(contract):
    with pytest.raises(PermanentDeliveryError):
        contract_ended(SimpleNamespace(topic=CONTRACT_ENDED_TOPIC, payload={"x": 1}), None)
    with pytest.raises(PermanentDeliveryError, match="not ended"):
        contract_ended(
            SimpleNamespace(
                topic=CONTRACT_ENDED_TOPIC,
                payload={"contract_id": contract.pk, "ended_at": FRIDAY_17.isoformat()},
            ),
            None,
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_check_and_the_end_at_the_same_moment_leave_no_breach(
    require_postgres, contract, test_clock, sysops
):
    """The periodic check claiming the breach and the consumer stopping the clock, in two
    threads at once: whichever takes the clock's row first, the clock ends stopped at the
    contract's end with no breach, and nothing is raised."""
    review = red_review(test_clock, contract, sysops)
    ended = RED_DUE - dt.timedelta(hours=1)
    with at(test_clock, ended):
        contract_cancel(contract=contract, actor=sysops)
    message = OutboxMessage.objects.get(topic=CONTRACT_ENDED_TOPIC)
    moment = RED_DUE + dt.timedelta(minutes=1)

    def work(index):
        with clock.simulated(test_clock.pk, moment):
            if index == 0:
                return sla_clocks_check().breached
            contract_ended(message, None)
            return None

    run_together(2, work)
    deliver(test_clock, moment)
    sla_clock = clock_of(review)
    assert (sla_clock.stopped_at, sla_clock.breached_at, sla_clock.outcome) == (
        ended,
        None,
        ClockOutcome.MET,
    )
    assert not breach_risks().exists()


# --- migration acceptance.0002: clocks already running on ended contracts -------------------------

MIGRATION = import_module(
    "onboarding.acceptance.migrations.0002_review_clocks_plan_and_ended_contracts"
)


def test_the_migration_stops_clocks_left_running_on_ended_contracts(contract, test_clock, sysops):
    """Before contract.ended existed: the contract was cancelled at Monday 10:00, its review's
    clock ran on and was breached on Tuesday. The migration stops it at the cancellation,
    withdraws the breach and records the plan; a clock on a contract in force only gets its
    plan."""
    review = red_review(test_clock, contract, sysops)
    Contract.objects.filter(pk=contract.pk).update(
        state=ContractState.CANCELLED, cancelled_at=MONDAY_10
    )
    SlaClock.objects.of(review).update(plan=None, breached_at=RED_DUE, warned_at=RED_DUE)
    other = active_contract(plan=contract.plan, number="CTR-2026-000102")
    other_review = red_review(test_clock, other, sysops)
    SlaClock.objects.of(other_review).update(plan=None)

    MIGRATION.review_clocks(apps, None)
    sla_clock = clock_of(review)
    assert (sla_clock.stopped_at, sla_clock.outcome, sla_clock.breached_at) == (
        MONDAY_10,
        ClockOutcome.MET,
        None,
    )
    assert sla_clock.warned_at is None
    assert sla_clock.plan == contract.plan
    assert sla_clock.stop_reason == f"contract {contract.number} cancelled: no next action is owed"
    stopped = AuditEntry.objects.get(action="sla.clock_stopped", object_id=str(review.pk))
    assert stopped.changes["outcome"] == ClockOutcome.MET
    withdrawn = AuditEntry.objects.get(action="sla.breach_withdrawn")
    assert withdrawn.changes["breached_at"][1] is None
    running = clock_of(other_review)
    assert (running.stopped_at, running.plan) == (None, contract.plan)
    # Run twice: nothing more is stopped or audited.
    MIGRATION.review_clocks(apps, None)
    assert AuditEntry.objects.filter(action="sla.clock_stopped").count() == 1


def test_the_end_moment_of_each_kind_of_ended_contract(contract):
    ended = MIGRATION.contract_ended_at
    term_end = contract.term_end
    contract.state, contract.cancelled_at = ContractState.CANCELLED, FRIDAY_17
    assert ended(contract) == FRIDAY_17 == contract_ended_at(contract)
    contract.state, contract.cancelled_at = ContractState.EXPIRED, None
    assert ended(contract) == term_end == contract_ended_at(contract)
    contract.state = ContractState.RENEWED
    assert ended(contract) == min(term_end, contract.updated_at) == contract_ended_at(contract)


def test_the_acceptance_page_says_why_the_clock_stopped(
    contract, test_clock, sysops, manager, manager_client
):
    red_review(test_clock, contract, sysops)
    with at(test_clock, MONDAY_10):
        contract_cancel(contract=contract, actor=sysops)
        relay_drain(worker_id="contract-end-test-relay")
    text = manager_client.get(reverse("acceptance:contract", args=[contract.pk])).content.decode()
    assert 'id="next-action-clock" data-outcome="met"' in text
    assert "stopped 16 March 2026, 10:00 (Europe/Berlin)" in text
    assert (
        f"<span data-stop-reason>contract {contract.number} cancelled: no next action is owed"
        in text
    )


def test_a_german_manager_reads_why_the_clock_stopped_in_german(
    contract, test_clock, sysops, manager
):
    from onboarding.acceptance.clock_texts import stop_reason_shown
    from tests.core.test_german_staff_console import german_client

    red_review(test_clock, contract, sysops)
    with at(test_clock, MONDAY_10):
        contract_cancel(contract=contract, actor=sysops)
        relay_drain(worker_id="contract-end-test-relay")
    recorded = f"contract {contract.number} cancelled: no next action is owed"
    assert SlaClock.objects.get(stopped_at__isnull=False).stop_reason == recorded
    page = german_client(manager).get(reverse("acceptance:contract", args=[contract.pk]))
    text = page.content.decode()
    assert (
        f"<span data-stop-reason>Vertrag {contract.number} gekündigt: kein nächster Schritt "
        "mehr geschuldet</span>" in text
    )
    # (The page's audit history lists the entry's message as recorded, in English.)
    assert f"<span data-stop-reason>{recorded}" not in text
    with translation.override("de"):
        assert stop_reason_shown("a reason written by hand") == "a reason written by hand"
    with translation.override("en"):
        assert stop_reason_shown(recorded) == recorded
