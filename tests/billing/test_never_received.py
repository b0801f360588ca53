"""A charge the gateway never received (our crash, or a request lost on the way) is sent again
at once as the invoice's next attempt, and the customer is told nothing; a real refusal of the
resend is an ordinary failure; and an invoice whose charges keep not arriving stops being resent
and alerts an admin."""

from datetime import timedelta

import pytest
from django.utils import timezone

from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.followups import invoice_follow_up
from onboarding.billing.models import Invoice, InvoiceStatus, PaymentState
from onboarding.notifications.models import Notification
from onboarding.payments.models import PaymentAttempt, PaymentStatus, SandboxCharge
from onboarding.payments.reconcile import payment_reconcile_unknown
from onboarding.payments.sandbox_faults import sandbox_fault_arm
from tests.billing.conftest import buy, deliver_events, ready_customer, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def lost(plan, customer) -> Invoice:
    """A first invoice whose charge the gateway dropped: its outcome is pending."""
    buy(ready_customer(customer), plan)
    sandbox_fault_arm(operation="charge", kind="timeout")
    bill_run_execute(run_date=today())
    invoice = Invoice.objects.get()
    assert invoice.payment_state == PaymentState.PENDING
    return invoice


def reconcile_all(capture) -> None:
    """Run the reconciler until it settles nothing more, each settle delivered to billing by the
    relay, and the resends billing queues sent on commit."""
    later = timezone.now() + timedelta(hours=1)
    settled = True
    while settled:
        with capture(execute=True):
            settled = payment_reconcile_unknown(now=later)
            deliver_events()


def keys(invoice: Invoice) -> list[str]:
    return list(
        PaymentAttempt.objects.filter(invoice_reference=invoice.number)
        .order_by("pk")
        .values_list("idempotency_key", flat=True)
    )


def test_a_charge_the_gateway_never_received_is_sent_again_at_once_and_paid(
    lost, django_capture_on_commit_callbacks
):
    reconcile_all(django_capture_on_commit_callbacks)

    lost.refresh_from_db()
    assert (lost.status, lost.attempt_count) == (InvoiceStatus.PAID, 2)
    assert lost.next_retry_at is None and lost.first_failed_at is None
    assert keys(lost) == [f"invoice:{lost.number}:attempt:{n}" for n in (1, 2)]
    first, second = PaymentAttempt.objects.order_by("pk")
    assert (first.status, first.code) == (PaymentStatus.FAILED, "not_received")
    assert second.status == PaymentStatus.SUCCEEDED
    assert list(SandboxCharge.objects.values_list("idempotency_key", "status")) == [
        (second.idempotency_key, "succeeded")
    ]
    resent = AuditEntry.objects.get(action="invoice.payment_resent")
    assert resent.changes["attempt"] == [1, 2]
    assert AuditEntry.objects.filter(action="payment.failed", object_id=first.pk).exists()
    assert AuditEntry.objects.filter(action="invoice.paid", object_id=lost.pk).exists()
    assert not AuditEntry.objects.filter(action="invoice.payment_failed").exists()


def test_the_customer_is_not_told_of_a_charge_that_never_reached_the_provider(
    lost, django_capture_on_commit_callbacks
):
    reconcile_all(django_capture_on_commit_callbacks)
    invoice_follow_up(invoice_id=lost.pk)

    assert "(paid)" in Notification.objects.get(kind="invoice_issued").subject
    assert not Notification.objects.filter(kind="payment_failed").exists()
    assert not AdminAlert.objects.filter(reason="payment_incomplete").exists()


def test_a_resend_refused_for_a_card_reason_is_an_ordinary_failure_with_its_notice(
    lost, django_capture_on_commit_callbacks
):
    sandbox_fault_arm(operation="charge", kind="insufficient_funds")
    reconcile_all(django_capture_on_commit_callbacks)
    invoice_follow_up(invoice_id=lost.pk)

    lost.refresh_from_db()
    assert (lost.status, lost.payment_state) == (InvoiceStatus.OPEN, PaymentState.DECLINED)
    assert (lost.attempt_count, lost.last_payment_code) == (2, "insufficient_funds")
    assert lost.next_retry_at == lost.first_failed_at + timedelta(days=1)
    assert "payment did not go through" in Notification.objects.get(kind="invoice_issued").subject
    assert AdminAlert.objects.filter(reason="payment_incomplete").exists()
    assert not AdminAlert.objects.filter(reason="payment_not_received").exists()


def test_resends_stop_after_the_limit_with_an_admin_alert_and_ordinary_dunning(
    lost, settings, django_capture_on_commit_callbacks
):
    settings.BILLING_NOT_RECEIVED_RESENDS = 2
    sandbox_fault_arm(operation="charge", kind="timeout", times=10)  # the provider is unreachable
    reconcile_all(django_capture_on_commit_callbacks)

    lost.refresh_from_db()
    assert lost.attempt_count == 3  # the first and two resends, then no more
    assert PaymentAttempt.objects.filter(code="not_received").count() == 3
    assert AuditEntry.objects.filter(action="invoice.payment_resent").count() == 2
    assert (lost.payment_state, lost.last_payment_code) == (PaymentState.FAILED, "not_received")
    assert lost.next_retry_at == lost.first_failed_at + timedelta(days=1)
    alert = AdminAlert.objects.get(reason="payment_not_received")
    assert lost.number in alert.message
    assert AuditEntry.objects.filter(
        action="invoice.payment_failed", object_id=lost.pk, outcome="failure"
    ).exists()
