"""Capturing requirements and what each rating sets off: green logs acceptance, yellow and red
notify every manager; a change of status supersedes the review that waited."""

from datetime import timedelta

import pytest
from django.utils import timezone

from onboarding.acceptance.models import (
    Rating,
    RatingChange,
    RequirementTemplate,
    Review,
    ReviewState,
    Timer,
)
from onboarding.acceptance.requirements import (
    requirement_add,
    requirement_rate,
    requirements_start_from_template,
)
from onboarding.acceptance.reviews import (
    review_accept_with_conditions,
    review_acknowledge,
    review_cancel_contract,
    review_escalate,
    review_request_remediation,
)
from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.contracts.models import ContractState
from onboarding.core.errors import Conflict, Forbidden
from onboarding.notifications.models import Notification, OutboxMessage


def add(contract, actor, title="Remote access", rating="green", **extra):
    return requirement_add(
        contract=contract,
        actor=actor,
        title=title,
        criteria=f"{title} works",
        rating=rating,
        **extra,
    )


def live_review(contract):
    return Review.objects.get(contract=contract, closed_at__isnull=True)


def test_all_green_logs_acceptance_and_waits_for_sysops(contract, sysops):
    add(contract, sysops, "Remote access")
    add(contract, sysops, "Monitoring agent")
    review = live_review(contract)
    assert review.rating == Rating.GREEN and review.state == ReviewState.OPEN
    assert AuditEntry.objects.filter(action="acceptance.logged", object_id=str(review.pk)).exists()
    timer = Timer.objects.get(review=review)
    assert timer.kind == "green_ack" and timer.state == "pending"
    assert not Notification.objects.filter(kind="acceptance_escalation").exists()

    review_acknowledge(review=review, actor=sysops)
    review.refresh_from_db()
    assert review.state == ReviewState.ACCEPTED and review.acknowledged_by == sysops
    assert review.closed_at is not None
    assert Timer.objects.get(pk=timer.pk).state == "cancelled"


def test_red_notifies_every_manager_in_app_and_by_email(contract, sysops, manager):
    second = type(manager).objects.create_user(
        email="second.manager@example.com", password=None, role="manager"
    )
    add(contract, sysops, "Escalation contacts", rating="red")
    review = live_review(contract)
    assert review.rating == Rating.RED
    notes = Notification.objects.filter(kind="acceptance_escalation")
    assert {n.recipient_id for n in notes} == {manager.pk, second.pk}
    channels = set(
        OutboxMessage.objects.filter(notification__in=notes).values_list("channel", flat=True)
    )
    assert channels == {"in_app", "email"}
    entry = AuditEntry.objects.get(action="acceptance.manager_notified")
    assert "Log notification" in entry.message
    assert review.ack_due_at - review.opened_at == timedelta(seconds=3600)


def test_no_manager_to_notify_alerts_an_admin(contract, sysops):
    add(contract, sysops, rating="yellow")
    alert = AdminAlert.objects.get(reason="acceptance_no_manager")
    assert str(contract) in alert.message


def test_worsening_from_yellow_to_red_supersedes_and_renotifies(contract, sysops, manager):
    requirement = add(contract, sysops, rating="yellow")
    first = live_review(contract)
    requirement_rate(requirement=requirement, actor=sysops, rating="red", note="agent removed")
    first.refresh_from_db()
    assert first.state == ReviewState.SUPERSEDED
    assert Timer.objects.get(review=first).state == "cancelled"
    second = live_review(contract)
    assert second.rating == Rating.RED
    assert Notification.objects.filter(kind="acceptance_escalation").count() == 2


def test_same_status_keeps_the_review(contract, sysops, manager):
    add(contract, sysops, "A", rating="red")
    review = live_review(contract)
    add(contract, sysops, "B", rating="red")
    assert live_review(contract).pk == review.pk
    assert Notification.objects.filter(kind="acceptance_escalation").count() == 1


def test_rating_history_keeps_who_when_and_why(contract, sysops):
    requirement = add(contract, sysops, rating="red")
    requirement_rate(requirement=requirement, actor=sysops, rating="green", note="agent installed")
    history = list(RatingChange.objects.filter(requirement=requirement).order_by("id"))
    assert [(c.from_rating, c.to_rating) for c in history] == [("unrated", "red"), ("red", "green")]
    assert history[1].actor == sysops and history[1].note == "agent installed"
    assert AuditEntry.objects.filter(action="acceptance.rated").count() == 1


def test_plan_template_starts_unrated_and_keeps_status_in_capture(contract, sysops):
    RequirementTemplate.objects.create(plan=contract.plan, title="VPN", criteria="VPN up")
    RequirementTemplate.objects.create(plan=contract.plan, title="Agent", criteria="Agent up")
    created = requirements_start_from_template(contract=contract, actor=sysops)
    assert [r.rating for r in created] == ["unrated", "unrated"]
    assert not Review.objects.filter(contract=contract).exists()
    for requirement in created:
        requirement_rate(requirement=requirement, actor=sysops, rating="green")
    assert live_review(contract).rating == Rating.GREEN
    # Copying again adds nothing the contract already has.
    assert requirements_start_from_template(contract=contract, actor=sysops) == []


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("title", {"title": "  ", "criteria": "x", "rating": "red"}),
        ("criteria", {"title": "VPN", "criteria": "", "rating": "red"}),
        ("rating", {"title": "VPN", "criteria": "x", "rating": "purple"}),
        ("rating", {"title": "VPN", "criteria": "x", "rating": "unrated"}),
    ],
)
def test_bad_input_is_refused_on_its_field_and_changes_nothing(contract, sysops, field, kwargs):
    with pytest.raises(Conflict) as refused:
        requirement_add(contract=contract, actor=sysops, **kwargs)
    assert refused.value.field == field
    assert not contract.requirements.exists()
    assert not AuditEntry.objects.filter(action__startswith="acceptance.").exists()


def test_a_cancelled_contracts_requirements_cannot_change(contract, sysops):
    contract.state = ContractState.CANCELLED
    contract.save()
    with pytest.raises(Conflict, match="cancelled"):
        add(contract, sysops)


def test_customers_cannot_capture_requirements(contract, customer):
    with pytest.raises(Forbidden):
        add(contract, customer)


def test_sysops_cannot_take_a_managers_action(contract, sysops, manager):
    add(contract, sysops, rating="red")
    review = live_review(contract)
    with pytest.raises(Forbidden):
        review_acknowledge(review=review, actor=sysops)
    with pytest.raises(Forbidden):
        review_escalate(review=review, actor=sysops, note="help")
    assert live_review(contract).state == ReviewState.OPEN


def test_manager_acknowledgement_cancels_the_risk_timer(contract, sysops, manager):
    add(contract, sysops, rating="red")
    review = review_acknowledge(review=live_review(contract), actor=manager)
    assert review.state == ReviewState.ACKNOWLEDGED
    assert Timer.objects.get(review=review).state == "cancelled"


def test_accept_with_conditions_closes_the_review(contract, sysops, manager):
    add(contract, sysops, rating="yellow")
    review = review_accept_with_conditions(
        review=live_review(contract), actor=manager, conditions="Monitoring from March"
    )
    assert review.state == ReviewState.ACCEPTED_WITH_CONDITIONS and review.closed_at
    assert review.outcome_note == "Monitoring from March"
    assert AuditEntry.objects.filter(action="acceptance.review_accepted_with_conditions").exists()


def test_remediation_tells_the_owner_and_keeps_the_review_live(contract, sysops, manager):
    add(contract, sysops, rating="red")
    due = timezone.now().date() + timedelta(days=3)
    review = review_request_remediation(
        review=live_review(contract), actor=manager, owner=sysops, due=due, note="install agent"
    )
    assert review.state == ReviewState.REMEDIATION and review.closed_at is None
    assert review.remediation_owner == sysops and review.remediation_due == due
    assert Notification.objects.filter(kind="acceptance_remediation", recipient=sysops).exists()


def test_remediation_needs_an_owner_and_a_future_date(contract, sysops, manager):
    add(contract, sysops, rating="red")
    review = live_review(contract)
    with pytest.raises(Conflict) as refused:
        review_request_remediation(review=review, actor=manager, owner=None, due=None, note="")
    assert refused.value.field == "owner"
    yesterday = timezone.now().date() - timedelta(days=1)
    with pytest.raises(Conflict) as refused:
        review_request_remediation(
            review=review, actor=manager, owner=sysops, due=yesterday, note=""
        )
    assert refused.value.field == "due"
    assert live_review(contract).state == ReviewState.OPEN


def test_escalation_alerts_the_admins(contract, sysops, manager):
    add(contract, sysops, rating="red")
    review_escalate(review=live_review(contract), actor=manager, note="customer blocks access")
    alert = AdminAlert.objects.get(reason="acceptance_escalated")
    assert "customer blocks access" in alert.message


def test_cancelling_the_contract_from_the_review(contract, sysops, manager):
    add(contract, sysops, rating="red")
    review = review_cancel_contract(
        review=live_review(contract), actor=manager, reason="cannot reach their network"
    )
    contract.refresh_from_db()
    assert review.state == ReviewState.CONTRACT_CANCELLED
    assert contract.state == ContractState.CANCELLED
    assert not Timer.objects.filter(contract=contract, state="pending").exists()


def test_a_closed_review_refuses_further_actions(contract, sysops, manager):
    add(contract, sysops, rating="yellow")
    review = review_accept_with_conditions(
        review=live_review(contract), actor=manager, conditions="ok"
    )
    with pytest.raises(Conflict):
        review_escalate(review=review, actor=manager, note="late")
