"""Right after a purchase a worker issues the first invoice and charges it: the invoice is paid,
the subscription active, the journey moves, the first payment is published (contracts queue the
contract when the relay delivers it) and the customer is told."""

import pytest

from onboarding.audit.models import AuditEntry
from onboarding.billing.charging import INVOICE_FIRST_PAID_TOPIC
from onboarding.billing.models import Invoice, InvoiceStatus, SubscriptionStatus
from onboarding.journey.models import JourneyStep, Step, StepState
from onboarding.notifications.models import Notification, OutboxMessage
from onboarding.worker.models import TaskKey
from tests.billing.conftest import buy, ready_customer, run_tasks
from tests.worker.conftest import run_worker_in_process

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def purchase(plan, customer):
    return buy(ready_customer(customer), plan, "annual")


def test_the_first_invoice_is_issued_and_paid_by_the_worker_after_the_purchase(purchase):
    assert not Invoice.objects.exists()  # nothing inside the purchase itself

    run_tasks()

    invoice = Invoice.objects.get()
    assert (invoice.status, invoice.is_first, invoice.total_minor) == ("paid", True, 118800)
    assert invoice.period_start == purchase.billing_anchor
    purchase.refresh_from_db()
    assert purchase.status == SubscriptionStatus.ACTIVE


def test_the_journey_marks_the_first_invoice_and_first_payment_done(purchase):
    run_tasks()
    steps = dict(
        JourneyStep.objects.filter(customer=purchase.customer).values_list("step", "state")
    )
    assert steps[Step.FIRST_INVOICE] == StepState.DONE
    assert steps[Step.FIRST_PAYMENT] == StepState.DONE


def test_the_first_payment_queues_the_contract_once(purchase):
    run_tasks()
    assert TaskKey.objects.filter(key=f"contract-issue:{purchase.pk}").count() == 1


def test_the_first_payment_is_published_once_for_contracts_to_hear_through_the_relay(purchase):
    run_worker_in_process()  # the worker alone: the first invoice issued and paid

    invoice = Invoice.objects.get()
    event = OutboxMessage.objects.get(topic=INVOICE_FIRST_PAID_TOPIC)
    assert event.dedupe_key == f"invoice-first-paid:{purchase.pk}"
    assert event.payload["subscription_id"] == purchase.pk
    assert (event.payload["invoice_id"], event.payload["invoice_number"]) == (
        invoice.pk,
        invoice.number,
    )
    assert not TaskKey.objects.filter(key=f"contract-issue:{purchase.pk}").exists()


def test_the_customer_gets_the_invoice_with_its_receipt_and_it_is_logged(purchase):
    run_tasks()
    invoice = Invoice.objects.get()
    notice = Notification.objects.get(kind="invoice_issued")
    assert invoice.number in notice.subject
    assert "This is your receipt" in notice.body_text
    assert AuditEntry.objects.filter(action="invoice.notified", object_id=str(invoice.pk)).exists()
    assert invoice.status == InvoiceStatus.PAID
