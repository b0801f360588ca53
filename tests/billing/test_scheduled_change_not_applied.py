"""A change scheduled for the period's end that the catalogue can no longer price (the plan lost
its price in the customer's currency and cycle, or left the sale): the subscription renews on
its current terms, the change is recorded as not applied with its reason, the customer is told,
an admin is alerted, and it is audited (billing/scheduled_changes.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import PlanChange, PlanChangeStatus, Subscription
from onboarding.billing.plan_changes import subscription_change_plan
from onboarding.billing.services import subscription_change_cycle
from onboarding.catalog.models import Plan, PlanPrice
from onboarding.notifications.models import Notification
from tests.billing.conftest import bought, invoices_of, ready_customer
from tests.factories import plan_with_prices

pytestmark = pytest.mark.django_db


@pytest.fixture
def essential(db) -> Plan:
    return plan_with_prices("essential-care", monthly=4900, quarterly=12900, annual=49000)


@pytest.fixture
def active(plan) -> Subscription:
    """A monthly subscription of `plan` (99.00 EUR a month), its current period paid."""
    anchor = (timezone.now() - timedelta(days=10)).replace(microsecond=0)
    subscription = bought(ready_customer(), plan, anchor=anchor)
    bill_run_execute(run_date=anchor.date())
    subscription.refresh_from_db()
    return subscription


def _change(subscription, plan, quantity=1):
    return subscription_change_plan(
        subscription=subscription, plan=plan, quantity=quantity, actor=subscription.customer.user
    )


def _renew(subscription) -> Subscription:
    bill_run_execute(run_date=subscription.current_period_end.date())
    return Subscription.objects.get(pk=subscription.pk)


def test_a_downgrade_to_a_plan_that_lost_its_price_renews_unchanged_and_says_why(
    active, plan, essential
):
    _change(active, essential)
    active.refresh_from_db()
    PlanPrice.objects.filter(plan=essential, cycle="monthly", currency="EUR").delete()

    renewed = _renew(active)

    assert (renewed.plan_id, renewed.quantity, renewed.amount_minor) == (plan.pk, 1, 9900)
    assert (renewed.pending_plan_id, renewed.pending_quantity) == (None, None)
    assert renewed.current_period_start == active.current_period_end  # it did renew
    assert invoices_of(active)[-1].subtotal_minor == 9900
    missed = PlanChange.objects.get(subscription=active)
    assert missed.status == PlanChangeStatus.NOT_APPLIED
    assert (missed.from_plan_id, missed.to_plan_id) == (plan.pk, essential.pk)
    assert missed.reason == "Helpdesk Suite · Essential Care has no monthly price in EUR."
    alert = AdminAlert.objects.get(reason="scheduled_change_not_applied")
    assert (alert.object_type, alert.object_id) == ("catalog.plan", str(essential.pk))
    assert alert.context["subscriptions"] == [active.pk]
    assert alert.customer_id == active.customer_id
    notice = Notification.objects.get(
        recipient=active.customer.user, kind="scheduled_change_not_applied"
    )
    assert "could not be made" in notice.body_text and "renewed unchanged" in notice.body_text
    assert "no monthly price in EUR" in notice.body_text
    entry = AuditEntry.objects.get(action="subscription.scheduled_change_not_applied")
    assert entry.object_id == str(active.pk)
    assert entry.changes["terms"] == ["essential-care x1", f"{plan.slug} x1"]


def test_a_downgrade_to_a_withdrawn_plan_keeps_the_current_quantity_too(active, plan, essential):
    _change(active, plan, quantity=3)  # an upgrade now: 3 seats
    active.refresh_from_db()
    _change(active, essential, quantity=2)  # 2 x 49.00 < 3 x 99.00: scheduled
    active.refresh_from_db()
    assert (active.pending_plan_id, active.pending_quantity) == (essential.pk, 2)
    Plan.objects.filter(pk=essential.pk).update(is_active=False)

    renewed = _renew(active)

    assert (renewed.plan_id, renewed.quantity) == (plan.pk, 3)
    assert invoices_of(active)[-1].subtotal_minor == 3 * 9900
    missed = PlanChange.objects.get(status=PlanChangeStatus.NOT_APPLIED)
    assert missed.reason == "Helpdesk Suite · Essential Care is no longer on sale."
    assert (missed.from_quantity, missed.to_quantity) == (3, 2)
    assert AdminAlert.objects.filter(reason="scheduled_change_not_applied").count() == 1


def test_a_cycle_change_whose_price_is_gone_keeps_the_current_cycle(active, plan):
    subscription_change_cycle(subscription=active, cycle="quarterly", actor=active.customer.user)
    active.refresh_from_db()
    assert active.pending_cycle == "quarterly"
    PlanPrice.objects.filter(plan=plan, cycle="quarterly", currency="EUR").delete()

    renewed = _renew(active)

    assert (renewed.cycle, renewed.pending_cycle, renewed.amount_minor) == ("monthly", "", 9900)
    missed = PlanChange.objects.get(status=PlanChangeStatus.NOT_APPLIED)
    assert missed.to_cycle == "quarterly" and "no quarterly price in EUR" in missed.reason
    assert AdminAlert.objects.filter(
        reason="scheduled_change_not_applied", object_id=str(plan.pk)
    ).exists()


def test_a_quantity_decrease_keeps_its_own_price_and_is_made_even_off_sale(active, plan):
    _change(active, plan, quantity=4)
    active.refresh_from_db()
    _change(active, plan, quantity=2)
    Plan.objects.filter(pk=plan.pk).update(is_active=False)

    renewed = _renew(active)

    assert (renewed.quantity, renewed.pending_quantity, renewed.amount_minor) == (2, None, 9900)
    assert not PlanChange.objects.filter(status=PlanChangeStatus.NOT_APPLIED).exists()
    assert not AdminAlert.objects.filter(reason="scheduled_change_not_applied").exists()


def test_a_priced_downgrade_is_still_made_and_nothing_is_reported(active, essential):
    _change(active, essential)

    renewed = _renew(active)

    assert (renewed.plan_id, renewed.amount_minor) == (essential.pk, 4900)
    assert not PlanChange.objects.filter(status=PlanChangeStatus.NOT_APPLIED).exists()
    assert not Notification.objects.filter(kind="scheduled_change_not_applied").exists()
