"""A renewal waiting for the customer's authentication (SCA) whose reminders run out while the
customer's service is in trouble waits for a manager, as a declined renewal does (issue 17's two
halves together): not uncollectible, subscription not past due, managers asked; the manager's
decision then applies to it as to any held invoice."""

from datetime import date, timedelta

import pytest

from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.billing.action_reminders import invoice_action_reminders_run
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.dunning_decisions import invoice_dunning_decide
from onboarding.billing.followups import invoice_follow_up
from onboarding.billing.models import (
    Invoice,
    InvoiceStatus,
    PaymentState,
    RetryStop,
    SubscriptionStatus,
)
from onboarding.notifications.models import Notification
from onboarding.payments.models import PaymentAttempt
from tests.billing.conftest import bought, ready_customer, utc
from tests.factories import DEFAULT_PASSWORD
from tests.payments.helpers import card_on_file
from tests.sysops.conftest import open_request

pytestmark = pytest.mark.django_db

EVERY_CHARGE = "4000002760003184"  # authentication on every charge


@pytest.fixture
def waiting_renewal(customer, plan, settings) -> Invoice:
    """A renewal on 15 March 2030 whose charge waits for the customer; dunning is one day."""
    settings.BILLING_DUNNING_DAYS = [1]
    subscription = bought(ready_customer(customer), plan, anchor=utc(2030, 2, 15, 10, 0))
    bill_run_execute(run_date=date(2030, 2, 15))
    card_on_file(customer.customer, EVERY_CHARGE, password=DEFAULT_PASSWORD)
    bill_run_execute(run_date=date(2030, 3, 15))
    invoice = Invoice.objects.select_related("subscription").get(
        subscription=subscription, is_first=False
    )
    assert invoice.payment_state == PaymentState.ACTION_REQUIRED
    return invoice


def _reminders_end(invoice: Invoice) -> Invoice:
    invoice_action_reminders_run(now=invoice.first_failed_at + timedelta(days=1, minutes=1))
    invoice.refresh_from_db()
    invoice.subscription.refresh_from_db()
    return invoice


def test_a_held_customer_s_unconfirmed_renewal_waits_for_a_manager(waiting_renewal, manager):
    open_request(waiting_renewal.subscription, severity="critical")

    invoice = _reminders_end(waiting_renewal)

    assert invoice.status == InvoiceStatus.OPEN
    assert invoice.retry_stopped == RetryStop.MANAGER_DECISION
    assert invoice.subscription.status == SubscriptionStatus.ACTIVE
    assert AuditEntry.objects.filter(action="invoice.dunning_held").count() == 1
    assert Notification.objects.filter(kind="dunning_decision", recipient=manager).exists()
    invoice_follow_up(invoice_id=invoice.pk)
    assert not AdminAlert.objects.filter(reason="payment_incomplete").exists()


def test_the_manager_s_extension_reminds_once_more_then_asks_again(waiting_renewal, manager):
    open_request(waiting_renewal.subscription, severity="critical")
    invoice = _reminders_end(waiting_renewal)

    decided = invoice_dunning_decide(invoice=invoice, decision="extend", days=3, actor=manager)
    assert invoice_action_reminders_run(now=decided.next_retry_at + timedelta(minutes=1)) == 1

    invoice.refresh_from_db()
    assert (invoice.status, invoice.retry_stopped) == (
        InvoiceStatus.OPEN,
        RetryStop.MANAGER_DECISION,
    )
    assert PaymentAttempt.objects.filter(invoice_reference=invoice.number).count() == 1


def test_without_a_hold_it_still_becomes_uncollectible(waiting_renewal, manager):
    invoice = _reminders_end(waiting_renewal)
    assert invoice.status == InvoiceStatus.UNCOLLECTIBLE
    assert invoice.subscription.status == SubscriptionStatus.PAST_DUE
