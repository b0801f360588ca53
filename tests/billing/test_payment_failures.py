"""Payment incomplete: the customer is told why, an admin is alerted, dunning retries on its
schedule, then the invoice is uncollectible and the subscription past due. An unknown outcome
waits for the payments reconciler."""

from datetime import timedelta

import pytest
from django.utils import timezone

from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.dunning import invoice_retries_run
from onboarding.billing.followups import invoice_follow_up
from onboarding.billing.models import Invoice, InvoiceStatus, PaymentState, SubscriptionStatus
from onboarding.billing.services import invoice_pay, invoice_payment_settled
from onboarding.core.errors import Conflict
from onboarding.journey.models import JourneyStep, Step, StepState
from onboarding.notifications.models import Notification
from onboarding.payments.models import PaymentAttempt, SandboxCharge
from onboarding.payments.reconcile import payment_reconcile_unknown
from onboarding.payments.sandbox_faults import sandbox_fault_arm
from onboarding.worker.models import TaskKey
from tests.billing.conftest import DECLINING_CARD, buy, deliver_events, ready_customer, today
from tests.factories import DEFAULT_PASSWORD
from tests.payments.helpers import GOOD_CARD, card_on_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def declined(plan, customer) -> Invoice:
    """A first invoice whose charge was declined (the card has no funds)."""
    buy(ready_customer(customer, card=DECLINING_CARD), plan)
    bill_run_execute(run_date=today())
    return Invoice.objects.select_related("customer__user", "subscription").get()


def retry_at(invoice: Invoice, days: float):
    return invoice.first_failed_at + timedelta(days=days, minutes=1)


def test_a_declined_first_payment_leaves_the_invoice_open_with_the_first_retry_booked(declined):
    assert (declined.status, declined.payment_state) == (InvoiceStatus.OPEN, PaymentState.DECLINED)
    assert declined.last_payment_code == "insufficient_funds"
    assert declined.next_retry_at == declined.first_failed_at + timedelta(days=1)
    assert declined.subscription.status == SubscriptionStatus.PENDING


def test_a_declined_first_payment_fails_the_journeys_first_payment_step(declined):
    steps = dict(
        JourneyStep.objects.filter(customer=declined.customer).values_list("step", "state")
    )
    assert steps[Step.FIRST_INVOICE] == StepState.DONE
    assert steps[Step.FIRST_PAYMENT] == StepState.FAILED
    reason = JourneyStep.objects.get(customer=declined.customer, step=Step.FIRST_PAYMENT)
    assert declined.number in reason.failure_reason


def test_the_customer_is_told_why_and_asked_to_update_the_card_and_an_admin_is_alerted(
    declined,
):
    invoice_follow_up(invoice_id=declined.pk)
    notice = Notification.objects.get(kind="invoice_issued")
    assert "payment did not go through" in notice.subject
    assert "insufficient funds" in notice.body_text
    assert "/account/card/" in notice.body_text
    alert = AdminAlert.objects.get(reason="payment_incomplete")
    assert alert.object_id == str(declined.pk)
    assert declined.number in alert.message


def test_a_retry_is_not_sent_before_its_day(declined):
    tally = invoice_retries_run(now=declined.first_failed_at + timedelta(hours=20))
    assert tally.failed == 0
    assert PaymentAttempt.objects.count() == 1


def test_dunning_retries_on_the_configured_days_then_gives_up(declined, settings):
    settings.BILLING_DUNNING_DAYS = [1, 3]

    first = invoice_retries_run(now=retry_at(declined, 1))
    declined.refresh_from_db()
    assert (first.failed, declined.attempt_count, declined.dunning_retries) == (1, 2, 1)
    assert declined.next_retry_at == declined.first_failed_at + timedelta(days=3)

    last = invoice_retries_run(now=retry_at(declined, 3))
    declined.refresh_from_db()
    assert last.uncollectible == 1
    assert declined.status == InvoiceStatus.UNCOLLECTIBLE
    assert declined.next_retry_at is None
    declined.subscription.refresh_from_db()
    assert declined.subscription.status == SubscriptionStatus.PAST_DUE
    keys = set(PaymentAttempt.objects.values_list("idempotency_key", flat=True))
    assert keys == {f"invoice:{declined.number}:attempt:{n}" for n in (1, 2, 3)}
    assert AuditEntry.objects.filter(action="invoice.uncollectible").count() == 1
    assert AuditEntry.objects.filter(action="subscription.past_due").count() == 1


def test_each_failed_attempt_is_told_once(declined):
    invoice_follow_up(invoice_id=declined.pk)
    invoice_retries_run(now=retry_at(declined, 1))
    invoice_follow_up(invoice_id=declined.pk)
    invoice_follow_up(invoice_id=declined.pk)
    assert Notification.objects.filter(kind="payment_failed").count() == 1
    assert AdminAlert.objects.filter(reason="payment_incomplete").count() == 1
    assert AdminAlert.objects.get(reason="payment_incomplete").count == 2


def test_a_retry_after_the_card_is_replaced_pays_activates_and_brings_the_contract(
    declined, django_capture_on_commit_callbacks
):
    card_on_file(declined.customer, GOOD_CARD, password=DEFAULT_PASSWORD)

    with django_capture_on_commit_callbacks(execute=True):
        tally = invoice_retries_run(now=retry_at(declined, 1))
    deliver_events()  # invoice.first_paid reaches contracts

    declined.refresh_from_db()
    assert (tally.paid, declined.status) == (1, InvoiceStatus.PAID)
    declined.subscription.refresh_from_db()
    assert declined.subscription.status == SubscriptionStatus.ACTIVE
    assert declined.subscription.first_paid_at is not None
    contract = TaskKey.objects.filter(key=f"contract-issue:{declined.subscription_id}")
    assert contract.count() == 1


def test_paying_from_the_portal_after_a_decline_sends_a_new_attempt(declined):
    card_on_file(declined.customer, GOOD_CARD, password=DEFAULT_PASSWORD)

    paid = invoice_pay(invoice=declined, actor=declined.customer.user)

    assert (paid.status, paid.attempt_count, paid.attempt_source) == ("paid", 2, "customer")
    attempt = PaymentAttempt.objects.get(pk=paid.paid_attempt_id)
    assert attempt.idempotency_key == f"invoice:{declined.number}:attempt:2"
    assert AuditEntry.objects.filter(action="invoice.payment_requested").count() == 1


def test_a_paid_invoice_cannot_be_paid_again(declined):
    card_on_file(declined.customer, GOOD_CARD, password=DEFAULT_PASSWORD)
    paid = invoice_pay(invoice=declined, actor=declined.customer.user)
    with pytest.raises(Conflict, match="nothing to pay"):
        invoice_pay(invoice=paid, actor=declined.customer.user)
    assert SandboxCharge.objects.filter(status="succeeded").count() == 1


# --- Unknown outcomes ----------------------------------------------------------------------------


@pytest.fixture
def unknown(plan, customer) -> Invoice:
    """The gateway charged the card, but its answer was lost."""
    buy(ready_customer(customer), plan)
    sandbox_fault_arm(operation="charge", kind="timeout_after_charge")
    bill_run_execute(run_date=today())
    return Invoice.objects.select_related("customer__user").get()


def test_a_lost_answer_leaves_the_invoice_open_with_its_payment_pending(unknown):
    assert (unknown.status, unknown.payment_state) == (InvoiceStatus.OPEN, PaymentState.PENDING)
    assert unknown.next_retry_at is None
    assert unknown.followup_due is True  # the issue notice still goes out


def test_a_pending_payment_cannot_be_paid_again_from_the_portal(unknown):
    with pytest.raises(Conflict, match="already being processed"):
        invoice_pay(invoice=unknown, actor=unknown.customer.user)
    assert PaymentAttempt.objects.count() == 1


def test_the_reconciler_settles_it_and_the_invoice_follows(unknown):
    settled = payment_reconcile_unknown(now=timezone.now() + timedelta(hours=1))
    deliver_events()  # payment.settled reaches billing
    unknown.refresh_from_db()
    assert settled == 1
    assert (unknown.status, unknown.payment_state) == (InvoiceStatus.PAID, PaymentState.SUCCEEDED)
    assert SandboxCharge.objects.count() == 1  # asked, never charged again


def test_settling_the_same_attempt_twice_changes_the_invoice_once(unknown):
    payment_reconcile_unknown(now=timezone.now() + timedelta(hours=1))
    deliver_events()
    attempt = PaymentAttempt.objects.get()
    again = invoice_payment_settled(attempt_id=attempt.pk)
    assert again.status == InvoiceStatus.PAID
    assert AuditEntry.objects.filter(action="invoice.paid").count() == 1


def test_an_attempt_that_is_no_invoices_is_ignored(unknown):
    assert invoice_payment_settled(attempt_id=999_999) is None


def test_a_run_for_a_past_day_issues_its_invoices_today(plan, customer):
    subscription = buy(ready_customer(customer), plan)
    anchor = subscription.billing_anchor.replace(year=2020)
    type(subscription).objects.filter(pk=subscription.pk).update(
        billing_anchor=anchor, next_invoice_at=anchor
    )
    bill_run_execute(run_date=anchor.date())
    first = Invoice.objects.order_by("period_start").first()
    assert first.period_start == anchor
    assert first.issue_date == today()  # never backdated
