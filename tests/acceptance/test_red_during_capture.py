"""A red found while other requirements are still unrated makes the contract red at once: the
managers hear of it then, once, and not again when capture completes with the red still there.
A red taken back during capture returns the contract to "in capture" and closes its review. A
yellow waits for the rest to be rated."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from onboarding.acceptance.models import (
    AcceptanceStatus,
    RequirementTemplate,
    Review,
    ReviewState,
    Timer,
)
from onboarding.acceptance.requirements import requirement_rate, requirements_start_from_template
from onboarding.acceptance.reviews import review_accept_with_conditions, review_acknowledge
from onboarding.acceptance.selectors import (
    acceptance_console,
    acceptance_flags_for,
    acceptance_red_count,
    contract_status,
)
from onboarding.acceptance.timers import timers_fire_due
from onboarding.audit.models import AuditEntry
from onboarding.contracts.transitions import contract_activated_publish
from onboarding.core.errors import Conflict
from onboarding.notifications.models import Notification
from onboarding.risk.models import RiskEvent
from tests.acceptance.conftest import deliver_outbox

TITLES = ("Remote access", "Monitoring agent", "Escalation contacts")


def captured_unrated(contract, sysops) -> dict:
    """The contract's three standard requirements, copied in unrated, by title."""
    for position, title in enumerate(TITLES):
        RequirementTemplate.objects.get_or_create(
            plan=contract.plan,
            title=title,
            defaults={"criteria": f"{title} works", "position": position},
        )
    requirements_start_from_template(contract=contract, actor=sysops)
    return {r.title: r for r in contract.requirements.all()}


def rate(requirement, actor, rating):
    return requirement_rate(requirement=requirement, actor=actor, rating=rating, note="checked")


def notified():
    return Notification.objects.filter(kind="acceptance_escalation").count()


def live_review(contract):
    return Review.objects.filter(contract=contract, closed_at__isnull=True).first()


def later(seconds: int):
    return timezone.now() + timedelta(seconds=seconds + 1)


def test_a_red_during_capture_makes_the_contract_red_and_tells_the_managers_at_once(
    contract, sysops, manager
):
    requirements = captured_unrated(contract, sysops)

    rate(requirements["Remote access"], sysops, "red")

    assert contract_status(contract=contract) == AcceptanceStatus.RED
    review = live_review(contract)
    assert review.rating == "red" and review.state == ReviewState.OPEN
    assert notified() == 1  # the one manager
    assert AuditEntry.objects.filter(action="acceptance.manager_notified").count() == 1
    timer = Timer.objects.get(review=review)
    assert (timer.kind, timer.state) == ("manager_ack", "pending")


def test_completing_capture_with_the_red_still_there_notifies_nobody_again(
    contract, sysops, manager
):
    requirements = captured_unrated(contract, sysops)
    rate(requirements["Remote access"], sysops, "red")
    review = live_review(contract)

    rate(requirements["Monitoring agent"], sysops, "yellow")
    rate(requirements["Escalation contacts"], sysops, "green")

    assert contract_status(contract=contract) == AcceptanceStatus.RED
    assert live_review(contract).pk == review.pk
    assert Review.objects.filter(contract=contract).count() == 1
    assert notified() == 1
    assert AuditEntry.objects.filter(action="acceptance.manager_notified").count() == 1
    assert Timer.objects.get(review=review).state == "pending"  # its deadline stands


def test_a_red_acknowledged_during_capture_stays_acknowledged_when_capture_completes(
    contract, sysops, manager
):
    requirements = captured_unrated(contract, sysops)
    rate(requirements["Remote access"], sysops, "red")
    review_acknowledge(review=live_review(contract), actor=manager)

    rate(requirements["Monitoring agent"], sysops, "green")
    rate(requirements["Escalation contacts"], sysops, "green")

    review = live_review(contract)
    assert review.state == ReviewState.ACKNOWLEDGED and review.acknowledged_by == manager
    assert notified() == 1


def test_a_red_changed_to_green_during_capture_goes_back_to_capture_and_closes_its_review(
    contract, sysops, manager, settings
):
    requirements = captured_unrated(contract, sysops)
    rate(requirements["Remote access"], sysops, "red")
    red_review = live_review(contract)

    rate(requirements["Remote access"], sysops, "green")

    assert contract_status(contract=contract) == AcceptanceStatus.IN_CAPTURE
    red_review.refresh_from_db()
    assert red_review.state == ReviewState.SUPERSEDED and red_review.closed_at is not None
    assert Timer.objects.get(review=red_review).state == "cancelled"
    superseded = AuditEntry.objects.get(action="acceptance.review_superseded")
    assert superseded.changes["status"] == AcceptanceStatus.IN_CAPTURE
    assert live_review(contract) is None
    assert notified() == 1
    # The red's deadline passes: nothing is raised for a red that no longer stands.
    timers_fire_due(now=later(settings.ACCEPTANCE_RED_ACK_SECONDS))
    assert not RiskEvent.objects.filter(type="acceptance_unacknowledged").exists()


def test_a_yellow_during_capture_waits_for_the_rest_and_a_red_joining_it_notifies_once(
    contract, sysops, manager
):
    requirements = captured_unrated(contract, sysops)

    rate(requirements["Remote access"], sysops, "yellow")
    assert contract_status(contract=contract) == AcceptanceStatus.IN_CAPTURE
    assert not Review.objects.filter(contract=contract).exists()
    assert notified() == 0

    rate(requirements["Monitoring agent"], sysops, "red")
    rate(requirements["Escalation contacts"], sysops, "green")
    assert live_review(contract).rating == "red"
    assert notified() == 1


def test_a_red_during_capture_cannot_be_accepted_until_every_requirement_is_rated(
    contract, sysops, manager
):
    requirements = captured_unrated(contract, sysops)
    rate(requirements["Remote access"], sysops, "red")
    review = live_review(contract)

    with pytest.raises(Conflict, match="not rated yet"):
        review_accept_with_conditions(review=review, actor=manager, conditions="agent by Friday")
    review.refresh_from_db()
    assert review.state == ReviewState.OPEN and review.closed_at is None
    assert not AuditEntry.objects.filter(
        action="acceptance.review_accepted_with_conditions"
    ).exists()

    rate(requirements["Monitoring agent"], sysops, "green")
    rate(requirements["Escalation contacts"], sysops, "green")
    review = review_accept_with_conditions(
        review=review, actor=manager, conditions="agent by Friday"
    )
    assert review.state == ReviewState.ACCEPTED_WITH_CONDITIONS


def test_the_requirements_unknown_wait_raises_nothing_while_a_red_stands(
    contract, sysops, manager, settings
):
    contract_activated_publish(contract=contract)
    deliver_outbox()
    requirements = captured_unrated(contract, sysops)
    rate(requirements["Remote access"], sysops, "red")

    # Still waiting for the unrated ones, but a red contract is not "unknown".
    wait = Timer.objects.get(kind="requirements_unknown")
    assert wait.state == "pending"
    timers_fire_due(now=later(settings.ACCEPTANCE_REQUIREMENTS_DUE_SECONDS))
    assert not RiskEvent.objects.filter(type="requirements_unknown").exists()
    # The red's own deadline is what went to the risk queue.
    assert RiskEvent.objects.get(type="acceptance_unacknowledged").level == "red"


def test_a_red_taken_back_during_capture_keeps_the_original_requirements_deadline(
    contract, sysops, manager, settings
):
    contract_activated_publish(contract=contract)
    deliver_outbox()
    requirements = captured_unrated(contract, sysops)
    wait = Timer.objects.get(kind="requirements_unknown")

    rate(requirements["Remote access"], sysops, "red")
    rate(requirements["Remote access"], sysops, "green")

    assert list(Timer.objects.filter(kind="requirements_unknown")) == [wait]
    wait.refresh_from_db()
    assert wait.state == "pending"
    timers_fire_due(now=later(settings.ACCEPTANCE_REQUIREMENTS_DUE_SECONDS))
    assert "unrated ones" in RiskEvent.objects.get(type="requirements_unknown").reason


def test_rating_the_last_unrated_requirement_beside_a_red_ends_the_wait(contract, sysops, manager):
    contract_activated_publish(contract=contract)
    deliver_outbox()
    requirements = captured_unrated(contract, sysops)
    rate(requirements["Remote access"], sysops, "red")
    rate(requirements["Monitoring agent"], sysops, "green")
    assert Timer.objects.get(kind="requirements_unknown").state == "pending"

    rate(requirements["Escalation contacts"], sysops, "green")

    assert Timer.objects.get(kind="requirements_unknown").state == "cancelled"


def test_the_console_the_nav_count_and_the_customer_view_show_a_red_during_capture(
    contract, sysops, manager
):
    requirements = captured_unrated(contract, sysops)
    rate(requirements["Remote access"], sysops, "red")

    assert acceptance_red_count() == 1
    [row] = acceptance_console(show="red")
    assert row.contract == contract and row.status == AcceptanceStatus.RED
    assert row.waiting_for == "a manager"
    [flag] = acceptance_flags_for(contract_ids=[contract.pk])
    assert flag.level == "red"
    assert "2 not rated yet" in flag.message


def test_the_managers_page_says_the_red_stands_and_holds_back_acceptance(contract, sysops, manager):
    requirements = captured_unrated(contract, sysops)
    rate(requirements["Remote access"], sysops, "red")
    client = Client()
    client.force_login(manager)

    html = client.get(f"/staff/acceptance/contracts/{contract.pk}/").content.decode()

    assert 'data-status="red"' in html
    assert "The managers were notified" in html
    assert "Red while 2 requirements are still not rated" in html
    assert 'id="accept-waits-for-capture"' in html
    assert "/conditions/" not in html  # no accept-with-conditions form yet
    assert 'id="manager-acknowledge"' in html
