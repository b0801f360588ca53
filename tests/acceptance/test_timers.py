"""Timers live in the database: they fire once when due, and the acknowledgement they wait for
cancels them. Red/yellow past the deadline is a risk event; green is a soft failure only."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from onboarding.acceptance.models import RequirementTemplate, Review, ReviewState, Timer
from onboarding.acceptance.requirements import (
    requirement_add,
    requirement_remove,
    requirements_start_from_template,
)
from onboarding.acceptance.reviews import review_acknowledge
from onboarding.acceptance.timers import timers_fire_due
from onboarding.audit.models import AuditEntry
from onboarding.contracts.models import ContractState
from onboarding.contracts.transitions import contract_activated_publish
from onboarding.notifications.models import OutboxMessage
from onboarding.risk.models import RiskEvent
from tests.acceptance.conftest import deliver_outbox


def add(contract, actor, rating, title="Remote access"):
    return requirement_add(
        contract=contract, actor=actor, title=title, criteria="it works", rating=rating
    )


def later(seconds: int = 3601):
    return timezone.now() + timedelta(seconds=seconds)


def test_red_left_unacknowledged_makes_exactly_one_risk_event(contract, sysops, manager):
    add(contract, sysops, "red")
    assert timers_fire_due(now=timezone.now()) == 0  # not due yet
    assert timers_fire_due(now=later()) == 1
    assert timers_fire_due(now=later(7200)) == 0  # fires once
    event = RiskEvent.objects.get()
    assert (event.type, event.level, event.rating) == ("acceptance_unacknowledged", "red", "red")
    assert event.contract == contract and event.customer_id == contract.customer_id
    review = Review.objects.get(contract=contract)
    assert review.overdue_at is not None and review.state == ReviewState.OPEN
    assert OutboxMessage.objects.filter(topic="risk.raised").count() == 1
    assert AuditEntry.objects.filter(action="risk.raised").count() == 1


def test_yellow_has_the_longer_deadline(contract, sysops, manager, settings):
    add(contract, sysops, "yellow")
    assert timers_fire_due(now=later(settings.ACCEPTANCE_RED_ACK_SECONDS + 1)) == 0
    assert timers_fire_due(now=later(settings.ACCEPTANCE_YELLOW_ACK_SECONDS + 1)) == 1
    assert RiskEvent.objects.get().level == "yellow"


def test_acknowledged_in_time_makes_no_risk_event(contract, sysops, manager):
    add(contract, sysops, "red")
    review_acknowledge(review=Review.objects.get(contract=contract), actor=manager)
    assert timers_fire_due(now=later(10 * 86400)) == 0
    assert not RiskEvent.objects.exists()


def test_green_unacknowledged_is_a_soft_failure_not_a_risk(contract, sysops, settings):
    add(contract, sysops, "green")
    assert timers_fire_due(now=later(settings.ACCEPTANCE_GREEN_ACK_SECONDS + 1)) == 1
    assert not RiskEvent.objects.exists()
    entry = AuditEntry.objects.get(action="acceptance.green_unacknowledged")
    assert entry.outcome == "failure" and "Soft failure" in entry.message
    review = Review.objects.get(contract=contract)
    assert review.is_overdue

    # The warning shows on the contract's page and in the console.
    client = Client()
    client.force_login(sysops)
    page = client.get(f"/staff/acceptance/contracts/{contract.pk}/")
    assert b"was not acknowledged in time" in page.content
    console = client.get("/staff/acceptance/")
    assert b"data-overdue" in console.content


def test_a_due_timer_survives_a_restart(contract, sysops, manager):
    """Nothing but the row carries the timer: a sweep in a new process (here, a later call with
    no state of its own) finds it."""
    add(contract, sysops, "red")
    timer = Timer.objects.get()
    Timer.objects.filter(pk=timer.pk).update(due_at=timezone.now() - timedelta(seconds=1))
    assert timers_fire_due() == 1
    timer.refresh_from_db()
    assert timer.state == "fired" and timer.fired_at is not None


def test_activation_starts_the_requirements_unknown_timer(contract, settings):
    contract_activated_publish(contract=contract)
    deliver_outbox()
    timer = Timer.objects.get(kind="requirements_unknown")
    assert timer.contract == contract
    due = timer.due_at - timer.created_at
    assert abs(due.total_seconds() - settings.ACCEPTANCE_REQUIREMENTS_DUE_SECONDS) < 5
    assert timers_fire_due(now=later(settings.ACCEPTANCE_REQUIREMENTS_DUE_SECONDS + 1)) == 1
    event = RiskEvent.objects.get()
    assert event.type == "requirements_unknown"
    assert "Product support requirements unknown to SysOps" in event.reason
    with translation.override("de"):
        assert event.reason_shown.startswith(
            f"Supportanforderungen des Produkts sind SysOps unbekannt: Vertrag {contract} ist seit "
        )
        assert event.reason_shown.endswith("UTC aktiv, ohne erfasste Anforderungen")


def test_requirements_captured_in_time_cancel_the_unknown_timer(contract, sysops, settings):
    contract_activated_publish(contract=contract)
    deliver_outbox()
    add(contract, sysops, "green")
    assert Timer.objects.get(kind="requirements_unknown").state == "cancelled"
    timers_fire_due(now=later(settings.ACCEPTANCE_REQUIREMENTS_DUE_SECONDS + 1))
    assert not RiskEvent.objects.filter(type="requirements_unknown").exists()


@pytest.mark.django_db
def test_acknowledging_a_contract_publishes_its_activation_once(sysops):
    from tests.acceptance.conftest import active_contract

    contract = active_contract()
    contract_activated_publish(contract=contract)
    contract_activated_publish(contract=contract)
    assert OutboxMessage.objects.filter(topic="contract.activated").count() == 1


def test_activation_starts_a_new_contract_from_its_plans_standard_requirements(contract, settings):
    RequirementTemplate.objects.create(plan=contract.plan, title="VPN", criteria="VPN up")
    RequirementTemplate.objects.create(plan=contract.plan, title="Agent", criteria="Agent up")
    contract_activated_publish(contract=contract)
    deliver_outbox()

    copied = contract.requirements.order_by("position")
    assert [(r.title, r.rating) for r in copied] == [("VPN", "unrated"), ("Agent", "unrated")]
    entry = AuditEntry.objects.get(action="acceptance.requirements_from_template")
    assert entry.actor is None and entry.changes == {"added": ["VPN", "Agent"]}
    # Copied but not rated: still "unknown to SysOps" once the wait is over.
    assert Timer.objects.get(kind="requirements_unknown").state == "pending"
    assert timers_fire_due(now=later(settings.ACCEPTANCE_REQUIREMENTS_DUE_SECONDS + 1)) == 1
    assert "unrated ones" in RiskEvent.objects.get(type="requirements_unknown").reason


def test_a_contract_that_has_requirements_at_activation_gets_no_standard_ones(contract, sysops):
    RequirementTemplate.objects.create(plan=contract.plan, title="VPN", criteria="VPN up")
    add(contract, sysops, "green", title="Remote access")
    contract_activated_publish(contract=contract)
    deliver_outbox()
    assert list(contract.requirements.values_list("title", flat=True)) == ["Remote access"]
    assert not Timer.objects.filter(kind="requirements_unknown").exists()


def test_removing_the_rated_requirements_starts_the_wait_for_them_again(contract, sysops, settings):
    contract_activated_publish(contract=contract)
    deliver_outbox()
    requirement = add(contract, sysops, "green")
    assert Timer.objects.get(kind="requirements_unknown").state == "cancelled"

    requirement_remove(requirement=requirement, actor=sysops)
    waits = Timer.objects.filter(kind="requirements_unknown").order_by("id")
    assert [w.state for w in waits] == ["cancelled", "pending"]
    # A change that leaves them unrated while the new wait runs starts no third one.
    RequirementTemplate.objects.create(plan=contract.plan, title="VPN", criteria="VPN up")
    requirements_start_from_template(contract=contract, actor=sysops)
    assert Timer.objects.filter(kind="requirements_unknown").count() == 2

    assert timers_fire_due(now=later(settings.ACCEPTANCE_REQUIREMENTS_DUE_SECONDS + 1)) == 1
    assert "unrated ones" in RiskEvent.objects.get(type="requirements_unknown").reason


@pytest.mark.django_db
def test_a_contract_not_yet_activated_waits_for_its_activation(sysops):
    from tests.acceptance.conftest import active_contract

    contract = active_contract(state=ContractState.SENT)
    requirement_remove(requirement=add(contract, sysops, "green"), actor=sysops)
    assert not Timer.objects.filter(kind="requirements_unknown").exists()
