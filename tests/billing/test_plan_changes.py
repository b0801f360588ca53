"""Plan and quantity changes: upgrades now with a proration invoice, downgrades at the period's
end, and every refusal leaving everything as it was."""

from datetime import timedelta

import pytest
from django.utils import timezone

from onboarding.accounts.models import Contact
from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.followups import invoice_follow_up
from onboarding.billing.models import (
    Invoice,
    InvoiceStatus,
    PlanChange,
    PlanChangeStatus,
    Subscription,
    SubscriptionStatus,
)
from onboarding.billing.periods import moment_stamp
from onboarding.billing.plan_changes import (
    AT_PERIOD_END,
    NOW,
    PlanChangeRefused,
    plan_change_preview,
    subscription_change_plan,
    subscription_scheduled_change_cancel,
)
from onboarding.catalog.models import Plan, Product
from onboarding.notifications.models import Notification
from onboarding.payments.models import SandboxCharge
from tests.billing.conftest import DECLINING_CARD, bought, invoices_of, ready_customer
from tests.factories import DEFAULT_PASSWORD, plan_with_prices
from tests.payments.helpers import card_on_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def enterprise(db) -> Plan:
    return plan_with_prices("enterprise-care", monthly=29900, quarterly=None, annual=None)


@pytest.fixture
def essential(db) -> Plan:
    return plan_with_prices("essential-care", monthly=4900, quarterly=12900, annual=49000)


@pytest.fixture
def active(plan) -> Subscription:
    """A monthly subscription of `plan` (99.00 EUR a month, 20% tax), its current period begun
    ten days ago and paid."""
    anchor = (timezone.now() - timedelta(days=10)).replace(microsecond=0)
    subscription = bought(ready_customer(), plan, anchor=anchor)
    bill_run_execute(run_date=anchor.date())
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE
    return subscription


def _change(subscription, plan, quantity=1):
    return subscription_change_plan(
        subscription=subscription, plan=plan, quantity=quantity, actor=subscription.customer.user
    )


def test_an_upgrade_takes_effect_at_once_with_one_invoice_of_two_prorated_lines(active, enterprise):
    outcome = _change(active, enterprise)

    active.refresh_from_db()
    assert (active.plan_id, active.amount_minor, active.quantity) == (enterprise.pk, 29900, 1)
    assert outcome.applied and outcome.invoice.status == InvoiceStatus.PAID
    credit, charge = outcome.invoice.lines.order_by("position")
    remaining = active.current_period_end - outcome.change.effective_at
    period = active.current_period_end - active.current_period_start
    share = remaining.total_seconds() / period.total_seconds()
    assert abs(-credit.amount_minor - 9900 * share) < 1
    assert abs(charge.amount_minor - 29900 * share) < 1
    assert "Unused time" in credit.description and "Remaining time" in charge.description
    assert moment_stamp(outcome.change.effective_at) in charge.description
    assert credit.period_end == charge.period_end == active.current_period_end
    invoice = outcome.invoice
    assert invoice.subtotal_minor == credit.amount_minor + charge.amount_minor
    assert invoice.tax_minor == credit.tax_minor + charge.tax_minor
    assert invoice.total_minor == invoice.subtotal_minor + invoice.tax_minor
    assert SandboxCharge.objects.filter(amount_minor=invoice.total_minor).exists()
    assert AuditEntry.objects.filter(action="subscription.plan_changed").count() == 1
    assert Notification.objects.filter(kind="plan_changed", recipient=active.customer.user).exists()


def test_the_plan_changed_email_writes_the_invoice_total_as_the_customers_country_does(
    plan, enterprise
):
    anchor = (timezone.now() - timedelta(days=10)).replace(microsecond=0)
    subscription = bought(ready_customer(country="DE"), plan, anchor=anchor)
    bill_run_execute(run_date=anchor.date())
    subscription.refresh_from_db()

    outcome = _change(subscription, enterprise)

    total = outcome.invoice.total.format(locale="en_DE")  # "1.234,50 €"
    assert total.endswith("\xa0€") and "," in total
    notice = Notification.objects.get(kind="plan_changed")
    assert f"({total})" in notice.body_text and f"({total})" in notice.body_html
    assert str(outcome.invoice.total) not in notice.body_text  # not "123.45 EUR"


def test_the_preview_shows_the_two_lines_and_changes_nothing(active, enterprise):
    quote = plan_change_preview(subscription=active, plan=enterprise, quantity=1)

    assert quote.when == NOW and len(quote.lines) == 2
    assert quote.lines[0].amount.amount_minor < 0 < quote.lines[1].amount.amount_minor
    assert quote.total.amount_minor > 0
    active.refresh_from_db()
    assert active.plan_id != enterprise.pk
    assert len(invoices_of(active)) == 1


def test_a_declined_upgrade_leaves_the_subscription_as_it_was_and_voids_its_invoice(
    active, enterprise
):
    customer = active.customer
    card_on_file(customer, DECLINING_CARD, password=DEFAULT_PASSWORD)

    outcome = _change(active, enterprise)

    active.refresh_from_db()
    assert (active.plan_id, active.amount_minor) == (outcome.change.from_plan_id, 9900)
    assert outcome.change.status == PlanChangeStatus.DECLINED
    assert outcome.invoice.status == InvoiceStatus.VOID
    assert outcome.invoice.next_retry_at is None
    assert active.status == SubscriptionStatus.ACTIVE
    assert Notification.objects.filter(kind="plan_change_declined").exists()
    # The invoice's follow-up (a worker's): the seed's payment-incomplete notice and alert.
    invoice_follow_up(invoice_id=outcome.invoice.pk)
    assert Notification.objects.filter(kind__in=["payment_failed", "invoice_issued"]).exists()
    assert AdminAlert.objects.filter(reason="payment_incomplete").exists()
    assert AuditEntry.objects.filter(action="subscription.plan_change_declined").exists()


def test_a_quantity_increase_prorates_now_and_the_next_period_bills_quantity_times_unit(
    active, plan
):
    outcome = _change(active, plan, quantity=3)

    assert outcome.quote.when == NOW and outcome.applied
    active.refresh_from_db()
    assert active.quantity == 3
    bill_run_execute(run_date=active.current_period_end.date())
    renewal = invoices_of(active)[-1]
    line = renewal.lines.get()
    assert (line.quantity, line.unit_amount_minor, line.amount_minor) == (3, 9900, 29700)
    assert renewal.subtotal_minor == 29700


def test_a_downgrade_is_scheduled_for_the_period_end_and_applied_by_the_bill_run(active, essential):
    outcome = _change(active, essential, quantity=1)

    assert outcome.quote.when == AT_PERIOD_END and outcome.invoice is None
    active.refresh_from_db()
    assert active.plan_id != essential.pk and active.pending_plan_id == essential.pk
    assert len(invoices_of(active)) == 1  # nothing charged now

    bill_run_execute(run_date=active.current_period_end.date())

    active.refresh_from_db()
    assert (active.plan_id, active.amount_minor, active.pending_plan_id) == (
        essential.pk,
        4900,
        None,
    )
    assert invoices_of(active)[-1].subtotal_minor == 4900


def test_a_quantity_decrease_waits_for_the_period_end(active, plan):
    _change(active, plan, quantity=4)
    active.refresh_from_db()

    _change(active, plan, quantity=2)

    active.refresh_from_db()
    assert (active.quantity, active.pending_quantity) == (4, 2)
    bill_run_execute(run_date=active.current_period_end.date())
    active.refresh_from_db()
    assert (active.quantity, active.pending_quantity) == (2, None)


def test_the_customer_cancels_a_scheduled_downgrade(active, essential):
    _change(active, essential)

    subscription_scheduled_change_cancel(subscription=active, actor=active.customer.user)

    active.refresh_from_db()
    assert active.pending_plan_id is None and not active.has_scheduled_change
    bill_run_execute(run_date=active.current_period_end.date())
    active.refresh_from_db()
    assert active.plan_id != essential.pk
    assert AuditEntry.objects.filter(action="subscription.scheduled_change_cancelled").exists()


def test_an_upgrade_replaces_a_scheduled_downgrade(active, essential, enterprise):
    _change(active, essential)

    _change(active, enterprise)

    active.refresh_from_db()
    assert active.plan_id == enterprise.pk and not active.has_scheduled_change


def test_a_second_upgrade_credits_what_the_first_one_charged(active, plan, enterprise):
    first = _change(active, plan, quantity=2)
    active.refresh_from_db()

    second = _change(active, enterprise, quantity=2)

    credit = second.invoice.lines.get(position=1)
    charged_by_first = first.invoice.lines.get(position=2).amount_minor
    assert 0 < -credit.amount_minor <= charged_by_first
    period_paid = sum(
        i.subtotal_minor for i in invoices_of(active) if i.status == InvoiceStatus.PAID
    )
    assert period_paid <= 29900 * 2


# --- Refusals: a field error each, nothing changed or charged ---------------------------------


def _refused(active, plan, quantity, field):
    charges, invoices = SandboxCharge.objects.count(), Invoice.objects.count()
    before = Subscription.objects.filter(pk=active.pk).values().get()
    with pytest.raises(PlanChangeRefused) as refused:
        _change(active, plan, quantity)
    assert refused.value.field == field and refused.value.status_code == 422
    assert Subscription.objects.filter(pk=active.pk).values().get() == before
    assert (SandboxCharge.objects.count(), Invoice.objects.count()) == (charges, invoices)
    assert not PlanChange.objects.exists()
    return refused.value.message


def test_the_same_plan_and_quantity_is_refused(active, plan):
    assert "already your plan" in _refused(active, plan, 1, "plan")


def test_another_products_plan_is_bought_not_changed_into(active):
    gateway = Product.objects.create(
        slug="edge-gateway", name="Edge Gateway", released_on="2022-03-01"
    )
    other = plan_with_prices("gateway-care")
    Plan.objects.filter(pk=other.pk).update(product=gateway)
    other.refresh_from_db()
    message = _refused(active, other, 1, "plan")
    assert "support for Edge Gateway, not Helpdesk Suite: buy it" in message


@pytest.mark.parametrize("quantity", [0, 6])
def test_a_quantity_outside_the_plans_range_is_refused(active, enterprise, quantity):
    Plan.objects.filter(pk=enterprise.pk).update(max_quantity=5)
    enterprise.refresh_from_db()
    _refused(active, enterprise, quantity, "quantity")


def test_a_quantity_below_the_units_in_use_is_refused(active, plan):
    _change(active, plan, quantity=3)
    active.refresh_from_db()
    for n in range(3):
        Contact.objects.create(
            customer=active.customer, name=f"C{n}", role="Technical", email=f"c{n}@x.test"
        )

    with pytest.raises(PlanChangeRefused) as refused:
        _change(active, plan, quantity=2)
    assert refused.value.field == "quantity" and "3 seats in use" in refused.value.message
    active.refresh_from_db()
    assert (active.quantity, active.pending_quantity) == (3, None)


def test_contacts_are_not_devices_in_use_for_a_plan_counted_in_devices(active, plan):
    Plan.objects.filter(pk=plan.pk).update(unit_name="device", unit_name_plural="devices")
    active.refresh_from_db()
    _change(active, active.plan, quantity=3)
    active.refresh_from_db()
    for n in range(3):
        Contact.objects.create(
            customer=active.customer, name=f"C{n}", role="Technical", email=f"c{n}@x.test"
        )

    _change(active, active.plan, quantity=1)

    active.refresh_from_db()
    assert (active.quantity, active.pending_quantity) == (3, 1)


def test_a_plan_not_sold_in_the_subscriptions_cycle_is_refused(active):
    annual_only = plan_with_prices("annual-only", monthly=None, quarterly=None, annual=500000)
    assert "not sold with monthly" in _refused(active, annual_only, 1, "plan")


def test_a_cancelled_subscription_cannot_change_plan(active, enterprise):
    Subscription.objects.filter(pk=active.pk).update(status=SubscriptionStatus.CANCELLED)
    active.refresh_from_db()
    assert "cancelled" in _refused(active, enterprise, 1, "plan")


def test_an_upgrade_with_an_unpaid_period_is_refused(active, enterprise):
    Invoice.objects.filter(subscription=active).update(status=InvoiceStatus.OPEN)
    assert "pay" in _refused(active, enterprise, 1, "plan")
