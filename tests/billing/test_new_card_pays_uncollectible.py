"""A new card on file is charged for the customer's uncollectible invoices too (they may still
pay them): paid, the invoice is paid and its subscription active again, as when the customer
pays it with Pay now; declined, it stays uncollectible and books no retry."""

from datetime import timedelta

import pytest

from onboarding.audit.models import AuditEntry
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.dunning import invoice_retries_run
from onboarding.billing.models import (
    AttemptSource,
    Invoice,
    InvoiceStatus,
    RetryStop,
    SubscriptionStatus,
)
from onboarding.payments.models import PaymentAttempt
from tests.billing.conftest import buy, deliver_events, ready_customer, today
from tests.factories import DEFAULT_PASSWORD
from tests.payments.helpers import GOOD_CARD, card_on_file

pytestmark = pytest.mark.django_db

LOST_CARD = "4000000000009987"
INSUFFICIENT_FUNDS = "4000000000009995"


@pytest.fixture
def uncollectible(plan, customer, settings) -> Invoice:
    """A hard-declined first invoice nobody answered with a new card: uncollectible, its
    subscription past due."""
    settings.BILLING_DUNNING_DAYS = [1, 3]
    buy(ready_customer(customer, card=LOST_CARD), plan)
    bill_run_execute(run_date=today())
    invoice = Invoice.objects.get()
    invoice_retries_run(now=invoice.first_failed_at + timedelta(days=3, minutes=1))
    invoice = Invoice.objects.select_related("customer", "subscription").get()
    assert invoice.status == InvoiceStatus.UNCOLLECTIBLE
    assert invoice.subscription.status == SubscriptionStatus.PAST_DUE
    return invoice


def test_a_new_card_pays_an_uncollectible_invoice_and_the_subscription_is_active_again(
    uncollectible, django_capture_on_commit_callbacks
):
    card_on_file(uncollectible.customer, GOOD_CARD, password=DEFAULT_PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        deliver_events()  # payment_method.changed reaches billing, which charges after commit

    uncollectible.refresh_from_db()
    assert (uncollectible.status, uncollectible.attempt_source) == (
        InvoiceStatus.PAID,
        AttemptSource.NEW_CARD,
    )
    assert uncollectible.retry_stopped == RetryStop.NONE
    uncollectible.subscription.refresh_from_db()
    assert uncollectible.subscription.status == SubscriptionStatus.ACTIVE
    retry = AuditEntry.objects.get(action="invoice.new_card_retry")
    assert retry.object_id == str(uncollectible.pk)
    assert PaymentAttempt.objects.filter(status="succeeded").count() == 1


def test_a_new_card_declined_leaves_it_uncollectible_with_no_retry_booked(
    uncollectible, django_capture_on_commit_callbacks
):
    card_on_file(uncollectible.customer, INSUFFICIENT_FUNDS, password=DEFAULT_PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        deliver_events()

    uncollectible.refresh_from_db()
    assert uncollectible.attempt_count == 2
    assert uncollectible.last_payment_code == "insufficient_funds"
    assert uncollectible.status == InvoiceStatus.UNCOLLECTIBLE
    assert uncollectible.next_retry_at is None  # dunning is over for it
    uncollectible.subscription.refresh_from_db()
    assert uncollectible.subscription.status == SubscriptionStatus.PAST_DUE
