"""The managers' review of a fall into red (onboarding/health/reviews.py): opened once per
crossing in the recompute, closed when the customer leaves red first, acknowledged and acted on
by managers only, bad input refused field by field, and the acknowledgement timer firing once."""

import datetime as dt

import pytest
from django.utils import timezone

from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.billing.models import InvoiceStatus
from onboarding.core.errors import Conflict, Forbidden
from onboarding.health.models import HealthReview, NextAction, ReviewState
from onboarding.health.reviews import (
    health_review_acknowledge,
    health_review_act,
    health_reviews_unacknowledged_fire,
)
from onboarding.health.services import customer_health_recompute
from onboarding.notifications.models import Notification
from onboarding.risk.models import RiskEvent, RiskType
from tests.concurrency import run_together
from tests.health.conftest import overdue_invoice, strict_bands

pytestmark = pytest.mark.django_db


def fall_into_red(contract) -> HealthReview:
    strict_bands()
    customer_health_recompute(customer_id=contract.customer_id)  # 100: green
    invoice = overdue_invoice(contract, days_late=34)
    assert customer_health_recompute(customer_id=contract.customer_id).crossed_into_red
    review = HealthReview.objects.get(customer_id=contract.customer_id)
    review.invoice = invoice
    return review


def tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


def test_a_fall_into_red_opens_one_review_with_its_deadlines_and_the_notice_links_it(
    contract, manager, settings
):
    review = fall_into_red(contract)
    assert review.state == ReviewState.OPEN and review.score == 60
    assert review.reason.startswith("Health 60 (red). Payment -30")
    assert review.ack_due_at - review.opened_at == dt.timedelta(
        seconds=settings.HEALTH_REVIEW_ACK_SECONDS
    )
    assert review.action_due_at - review.opened_at == dt.timedelta(
        seconds=settings.HEALTH_REVIEW_ACTION_SECONDS
    )
    assert (
        AuditEntry.objects.filter(action="health.review_opened", object_id=review.pk).count() == 1
    )
    notice = Notification.objects.get(kind="health.red", recipient=manager)
    assert f"/staff/health/reviews/{review.pk}/" in notice.body_text
    # Staying red opens nothing more.
    customer_health_recompute(customer_id=contract.customer_id, now=timezone.now())
    customer_health_recompute(
        customer_id=contract.customer_id, now=timezone.now() + dt.timedelta(hours=2)
    )
    assert HealthReview.objects.count() == 1


def test_leaving_red_before_anyone_acted_closes_the_review_and_a_new_fall_opens_a_new_one(
    contract, manager
):
    review = fall_into_red(contract)
    review.invoice.status = InvoiceStatus.PAID
    review.invoice.save(update_fields=["status"])
    customer_health_recompute(customer_id=contract.customer_id)
    review.refresh_from_db()
    assert review.state == ReviewState.CLOSED and review.closed_at is not None
    assert review.close_reason.startswith("Health back to green (100)")
    assert AuditEntry.objects.filter(action="health.review_closed", object_id=review.pk).exists()
    with pytest.raises(Conflict, match="closed"):
        health_review_acknowledge(review=review, actor=manager)
    overdue_invoice(contract, days_late=3, n=2)
    assert customer_health_recompute(customer_id=contract.customer_id).crossed_into_red
    assert HealthReview.objects.filter(state=ReviewState.OPEN).count() == 1
    assert HealthReview.objects.count() == 2


def test_an_acted_review_stays_as_it_was_when_the_customer_leaves_red(contract, manager):
    review = fall_into_red(contract)
    health_review_act(review=review, actor=manager, action="accept_risk", note="Paying Friday")
    review.invoice.status = InvoiceStatus.PAID
    review.invoice.save(update_fields=["status"])
    customer_health_recompute(customer_id=contract.customer_id)
    review.refresh_from_db()
    assert review.state == ReviewState.ACTED and review.closed_at is None


def test_a_manager_acknowledges_then_chooses_the_next_action_and_the_owner_is_told(
    contract, manager, sysops
):
    review = fall_into_red(contract)
    review = health_review_acknowledge(review=review, actor=manager)
    assert review.state == ReviewState.ACKNOWLEDGED and review.acknowledged_by == manager
    entry = AuditEntry.objects.get(action="health.review_acknowledged")
    assert entry.actor_id == manager.pk and entry.customer_id == contract.customer_id
    review = health_review_act(
        review=review,
        actor=manager,
        action=NextAction.CONTACT,
        owner=sysops,
        due=tomorrow(),
        note="Call about the overdue invoice",
    )
    review.refresh_from_db()
    assert (review.state, review.action, review.owner, review.due) == (
        ReviewState.ACTED,
        NextAction.CONTACT,
        sysops,
        tomorrow(),
    )
    assert review.acted_by == manager and review.acted_at is not None
    acted = AuditEntry.objects.get(action="health.review_acted")
    assert acted.changes["action"] == "contact" and acted.changes["late"] is False
    assert acted.changes["owner"] == sysops.email
    notice = Notification.objects.get(kind="health.review_assigned", recipient=sysops)
    assert f"/staff/health/reviews/{review.pk}/" in notice.body_text
    # Acted: no second action, no acknowledgement.
    with pytest.raises(Conflict, match="next action chosen"):
        health_review_act(review=review, actor=manager, action="escalate", note="Again")
    with pytest.raises(Conflict):
        health_review_acknowledge(review=review, actor=manager)


def test_acting_on_an_open_review_acknowledges_it_too_and_escalating_alerts_the_admins(
    contract, manager
):
    review = fall_into_red(contract)
    review = health_review_act(
        review=review, actor=manager, action=NextAction.ESCALATE, note="Largest customer"
    )
    assert review.acknowledged_by == manager and review.acted_by == manager
    alert = AdminAlert.objects.get(reason="health_review_escalated")
    assert "Largest customer" in alert.message


def test_acknowledging_twice_is_refused(contract, manager):
    review = fall_into_red(contract)
    health_review_acknowledge(review=review, actor=manager)
    with pytest.raises(Conflict, match="acknowledged; it cannot become acknowledged"):
        health_review_acknowledge(review=review, actor=manager)


def test_sysops_may_not_acknowledge_nor_act(contract, sysops):
    review = fall_into_red(contract)
    with pytest.raises(Forbidden):
        health_review_acknowledge(review=review, actor=sysops)
    with pytest.raises(Forbidden):
        health_review_act(review=review, actor=sysops, action="accept_risk", note="Fine")
    review.refresh_from_db()
    assert review.state == ReviewState.OPEN
    assert not AuditEntry.objects.filter(action__startswith="health.review_ac").exists()


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"action": "shout"}, "action", "Choose one of the next actions"),
        ({"action": "contact", "due": "tomorrow"}, "owner", "Choose who will do it"),
        ({"action": "offer", "owner": "sysops"}, "due", "Give a due date"),
        ({"action": "offer", "owner": "sysops", "due": "yesterday"}, "due", "in the past"),
        ({"action": "offer", "owner": "customer", "due": "tomorrow"}, "owner", "active SysOps"),
        ({"action": "escalate", "note": "   "}, "note", "Say why it is escalated"),
        ({"action": "accept_risk"}, "note", "Say why the risk is accepted"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_changes_nothing(
    contract, manager, sysops, customer, kwargs, field, message
):
    review = fall_into_red(contract)
    values = {
        "sysops": sysops,
        "customer": customer,
        "tomorrow": tomorrow(),
        "yesterday": timezone.localdate() - dt.timedelta(days=1),
    }
    arguments = {k: values.get(v, v) for k, v in kwargs.items()}
    with pytest.raises(Conflict, match=message) as refused:
        health_review_act(review=review, actor=manager, **arguments)
    assert refused.value.field == field
    review.refresh_from_db()
    assert review.state == ReviewState.OPEN and review.action == ""
    assert not AuditEntry.objects.filter(action="health.review_acted").exists()


def test_nobody_acknowledging_in_time_raises_one_risk_event_and_alerts_the_admins(
    contract, manager, settings
):
    review = fall_into_red(contract)
    assert health_reviews_unacknowledged_fire(now=review.ack_due_at - dt.timedelta(seconds=1)) == 0
    late = review.ack_due_at + dt.timedelta(seconds=1)
    assert health_reviews_unacknowledged_fire(now=late) == 1
    assert health_reviews_unacknowledged_fire(now=late + dt.timedelta(hours=1)) == 0
    event = RiskEvent.objects.get(type=RiskType.HEALTH_UNACKNOWLEDGED)
    assert event.contract == contract and event.level == "red"
    assert "no manager acknowledged it" in event.reason
    assert AdminAlert.objects.filter(reason="health_review_unacknowledged").count() == 1
    entry = AuditEntry.objects.get(action="health.review_unacknowledged")
    assert entry.outcome == "failure"
    review.refresh_from_db()
    assert review.unacknowledged_at == late and review.state == ReviewState.OPEN
    # Acknowledging late is still possible, and says it was late.
    health_review_acknowledge(review=review, actor=manager)
    assert AuditEntry.objects.get(action="health.review_acknowledged").changes["late"] is True


def test_an_acknowledged_review_never_fires_its_timer(contract, manager):
    review = fall_into_red(contract)
    health_review_acknowledge(review=review, actor=manager)
    assert health_reviews_unacknowledged_fire(now=review.ack_due_at + dt.timedelta(days=9)) == 0
    assert not RiskEvent.objects.filter(type=RiskType.HEALTH_UNACKNOWLEDGED).exists()


def test_a_next_action_past_its_due_time_is_overdue_and_audited_late(contract, manager):
    review = fall_into_red(contract)
    assert not review.is_overdue(review.action_due_at)
    assert review.is_overdue(review.action_due_at + dt.timedelta(seconds=1))
    HealthReview.objects.filter(pk=review.pk).update(
        action_due_at=timezone.now() - dt.timedelta(minutes=1)
    )
    health_review_act(review=review, actor=manager, action="accept_risk", note="Known")
    assert AuditEntry.objects.get(action="health.review_acted").changes["late"] is True


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_recomputing_a_fall_into_red_open_one_review(
    require_postgres, contract, manager
):
    strict_bands()
    overdue_invoice(contract, days_late=34)
    now = timezone.now()
    run_together(4, lambda _i: customer_health_recompute(customer_id=contract.customer_id, now=now))
    assert HealthReview.objects.filter(customer_id=contract.customer_id).count() == 1
    assert AuditEntry.objects.filter(action="health.review_opened").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_timer_passes_at_once_fire_the_review_once(require_postgres, contract, manager):
    review = fall_into_red(contract)
    late = review.ack_due_at + dt.timedelta(seconds=1)
    fired = run_together(4, lambda _i: health_reviews_unacknowledged_fire(now=late))
    assert sum(fired) == 1
    assert RiskEvent.objects.filter(type=RiskType.HEALTH_UNACKNOWLEDGED).count() == 1
    assert AdminAlert.objects.filter(reason="health_review_unacknowledged").count() == 1


def test_a_test_customers_review_fires_at_its_clocks_step(admin_user, manager):
    from onboarding.accounts.models import Customer, TestClock
    from onboarding.core.roles import Role
    from onboarding.testclocks.advancing import clock_run
    from onboarding.testclocks.services import clock_advance
    from onboarding.testclocks.stepping import next_deadline
    from tests.factories import UserFactory

    strict_bands()
    frozen = timezone.now() - dt.timedelta(days=1)
    test_clock = TestClock.objects.create(name="Red", frozen_time=frozen)
    user = UserFactory(role=Role.CUSTOMER)
    user.date_joined = frozen - dt.timedelta(days=200)  # never signed in: engagement costs
    user.save(update_fields=["date_joined"])
    customer = Customer.objects.get(user=user)
    customer.test_clock = test_clock
    customer.save(update_fields=["test_clock"])
    assert customer_health_recompute(customer_id=customer.pk).crossed_into_red
    review = HealthReview.objects.get(customer=customer)
    assert review.opened_at == frozen
    assert health_reviews_unacknowledged_fire(now=timezone.now()) == 0  # real time: not its scope
    just_before = review.ack_due_at - dt.timedelta(seconds=1)
    assert next_deadline(clock_id=test_clock.pk, after=just_before) == review.ack_due_at
    clock_advance(
        actor=admin_user, clock_id=test_clock.pk, to=review.ack_due_at + dt.timedelta(hours=1)
    )
    clock_run(clock_id=test_clock.pk)
    review.refresh_from_db()
    # The advance stops at the deadline itself (stepping.next_deadline), not at a later step.
    assert review.unacknowledged_at == review.ack_due_at
    # Fired once: no longer a moment to stop at.
    assert next_deadline(clock_id=test_clock.pk, after=just_before) != review.ack_due_at
    assert AdminAlert.objects.filter(reason="health_review_unacknowledged").count() == 1


def test_a_reviews_snapshot_going_takes_the_review_with_it(contract, manager):
    """Erasing a customer's history (its snapshots, as a customer's removal cascades) is not
    blocked by the reviews that point at them."""
    review = fall_into_red(contract)
    review.snapshot.delete()
    assert not HealthReview.objects.exists()
