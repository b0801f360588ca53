"""An invoice whose charge the bank asks the customer to confirm (SCA, the sandbox's 3184 card):
"action required", not failed; dunning reminds instead of re-charging; the customer confirms on
the invoice's confirmation page (only theirs) and the invoice is paid by the usual settle path;
cancelled, reminders follow dunning's schedule and its end is the "payment incomplete" alert."""

from datetime import timedelta

import pytest
from django.urls import reverse

from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.billing.action_reminders import invoice_action_reminders_run
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.charging import INVOICE_FIRST_PAID_TOPIC
from onboarding.billing.dunning import invoice_retries_run
from onboarding.billing.followups import invoice_follow_up
from onboarding.billing.models import Invoice, InvoiceStatus, PaymentState, SubscriptionStatus
from onboarding.notifications.models import Channel, Notification, OutboxMessage
from onboarding.payments.charges import payment_attempt_settle
from onboarding.payments.gateways.base import ChargeResult, ChargeStatus
from onboarding.payments.models import PaymentAttempt, PaymentStatus
from onboarding.payments.reconcile import payment_settled_publish
from tests.billing.conftest import buy, deliver_events, ready_customer, today

pytestmark = pytest.mark.django_db

EVERY_CHARGE = "4000002760003184"  # Stripe's "authentication on every charge" test card


@pytest.fixture
def waiting(plan, customer) -> Invoice:
    """A first invoice whose charge waits for the customer's confirmation."""
    buy(ready_customer(customer, card=EVERY_CHARGE), plan)
    bill_run_execute(run_date=today())
    return Invoice.objects.select_related("customer__user", "subscription").get()


def _confirm_url(invoice: Invoice) -> str:
    return reverse("billing:invoice_confirm", args=[invoice.pk])


def test_a_charge_needing_authentication_is_action_required_not_failed(waiting):
    assert (waiting.status, waiting.payment_state) == (
        InvoiceStatus.OPEN,
        PaymentState.ACTION_REQUIRED,
    )
    assert waiting.last_payment_message == "Your bank asks you to confirm this payment."
    assert waiting.subscription.status == SubscriptionStatus.PENDING
    attempt = PaymentAttempt.objects.get()
    assert attempt.status == PaymentStatus.REQUIRES_ACTION
    assert AuditEntry.objects.filter(action="invoice.action_required").count() == 1
    assert not AuditEntry.objects.filter(action="invoice.payment_failed").exists()


def test_dunning_never_charges_an_invoice_waiting_for_the_customer(waiting):
    for days in (1, 3, 5, 7, 8):
        invoice_retries_run(now=waiting.first_failed_at + timedelta(days=days, minutes=1))
    assert PaymentAttempt.objects.count() == 1


def test_the_customer_is_asked_in_their_inbox_and_by_email_with_the_page_link(plan, customer):
    customer.preferred_inbox = Channel.IN_APP
    customer.save(update_fields=["preferred_inbox"])
    buy(ready_customer(customer, card=EVERY_CHARGE), plan)
    bill_run_execute(run_date=today())
    invoice = Invoice.objects.get()

    invoice_follow_up(invoice_id=invoice.pk)

    notice = Notification.objects.get(kind="payment_action_required")
    assert set(notice.channels) == {Channel.IN_APP, Channel.EMAIL}
    assert "Action required" in notice.subject
    assert _confirm_url(invoice) in notice.body_text
    assert AuditEntry.objects.filter(action="invoice.action_notified").count() == 1
    assert not AdminAlert.objects.filter(reason="payment_incomplete").exists()
    invoice_follow_up(invoice_id=invoice.pk)  # again: nobody is told twice
    assert Notification.objects.filter(kind="payment_action_required").count() == 1


def test_confirming_pays_the_invoice_and_the_journey_moves_on(waiting, client):
    invoice_follow_up(invoice_id=waiting.pk)  # the issue notice, and the ask to confirm
    client.force_login(waiting.customer.user)
    page = client.get(_confirm_url(waiting))
    assert page.status_code == 200
    assert b"Confirm payment" in page.content and b"Cancel" in page.content

    answer = client.post(_confirm_url(waiting), {"decision": "confirm"}, follow=True)

    waiting.refresh_from_db()
    assert (waiting.status, waiting.payment_state) == (InvoiceStatus.PAID, PaymentState.SUCCEEDED)
    assert waiting.subscription.status == SubscriptionStatus.ACTIVE
    assert OutboxMessage.objects.filter(topic=INVOICE_FIRST_PAID_TOPIC).count() == 1
    assert b"is paid" in answer.content
    assert AuditEntry.objects.filter(action="invoice.action_confirmed").count() == 1
    assert AuditEntry.objects.filter(action="invoice.paid").count() == 1
    deliver_events()  # the outbox's own copy of the settle finds it applied: no alert
    assert not AdminAlert.objects.filter(reason="payment_unmatched").exists()
    invoice_follow_up(invoice_id=waiting.pk)
    assert Notification.objects.filter(kind="payment_received").count() == 1  # the receipt


def test_cancelling_leaves_it_waiting_and_tells_the_customer(waiting, client):
    client.force_login(waiting.customer.user)
    answer = client.post(_confirm_url(waiting), {"decision": "cancel"}, follow=True)
    waiting.refresh_from_db()
    assert waiting.payment_state == PaymentState.ACTION_REQUIRED
    assert b"You cancelled: the payment was not made" in answer.content
    assert AuditEntry.objects.filter(action="invoice.action_not_confirmed").count() == 1
    assert PaymentAttempt.objects.get().status == PaymentStatus.REQUIRES_ACTION


def test_an_unknown_decision_is_refused_clearly(waiting, client):
    client.force_login(waiting.customer.user)
    answer = client.post(_confirm_url(waiting), {"decision": "pay-twice"}, follow=True)
    assert b"Choose to confirm or to cancel the payment." in answer.content
    waiting.refresh_from_db()
    assert waiting.payment_state == PaymentState.ACTION_REQUIRED


def test_nobody_else_can_see_or_confirm_the_payment(waiting, other_customer_client, sysops_client):
    for client in (other_customer_client, sysops_client):
        assert client.get(_confirm_url(waiting)).status_code == 404
        assert client.post(_confirm_url(waiting), {"decision": "confirm"}).status_code == 404
    waiting.refresh_from_db()
    assert waiting.payment_state == PaymentState.ACTION_REQUIRED


def test_reminders_follow_dunning_and_its_end_raises_payment_incomplete(waiting):
    start = waiting.first_failed_at
    invoice_follow_up(invoice_id=waiting.pk)  # the first ask
    for days in (1, 3, 5):
        assert invoice_action_reminders_run(now=start + timedelta(days=days, minutes=1)) == 1
        invoice_follow_up(invoice_id=waiting.pk)
    assert Notification.objects.filter(kind="payment_action_required").count() == 4
    assert not AdminAlert.objects.filter(reason="payment_incomplete").exists()

    invoice_action_reminders_run(now=start + timedelta(days=7, minutes=1))
    invoice_follow_up(invoice_id=waiting.pk)

    waiting.refresh_from_db()
    assert waiting.status == InvoiceStatus.UNCOLLECTIBLE
    assert waiting.subscription.status == SubscriptionStatus.PAST_DUE
    last = Notification.objects.filter(kind="payment_action_required").latest("pk")
    assert "overdue" in last.subject
    alert = AdminAlert.objects.get(reason="payment_incomplete")
    assert "never confirmed" in alert.message
    assert PaymentAttempt.objects.count() == 1  # reminded, never re-charged


def test_a_webhook_success_after_requires_action_pays_without_a_mismatch(waiting):
    attempt = PaymentAttempt.objects.get()
    with_intent = ChargeResult(ChargeStatus.SUCCEEDED, gateway_charge_id="pi_confirmed")
    settled, changed = payment_attempt_settle(attempt_id=attempt.pk, result=with_intent)
    assert changed
    payment_settled_publish(attempt=settled)
    deliver_events()
    waiting.refresh_from_db()
    assert waiting.status == InvoiceStatus.PAID
    assert not AdminAlert.objects.filter(
        reason__in=["payment_mismatch", "payment_unmatched"]
    ).exists()


def test_pages_and_api_show_the_state(waiting, client, sysops_client):
    client.force_login(waiting.customer.user)
    invoice_page = client.get(reverse("billing:invoice", args=[waiting.pk])).content.decode()
    assert "Action required — " in invoice_page and _confirm_url(waiting) in invoice_page
    home = client.get(reverse("accounts:home")).content.decode()
    assert "Action required — confirm this payment" in home and _confirm_url(waiting) in home
    body = client.get(f"/api/v1/me/invoices/{waiting.pk}").json()
    assert body["payment_state"] == "action_required"
    assert body["confirm_url"] == _confirm_url(waiting)
    assert body["payable"] is False
    staff = sysops_client.get(reverse("sysops:customer", args=[waiting.customer_id]))
    assert "Action required" in staff.content.decode()
    assert _confirm_url(waiting) not in staff.content.decode()


def test_paying_again_is_refused_while_the_bank_waits_for_the_customer(waiting, client):
    client.force_login(waiting.customer.user)
    answer = client.post(reverse("billing:invoice_pay", args=[waiting.pk]), follow=True)
    assert b"confirm it on its page" in answer.content
    assert PaymentAttempt.objects.count() == 1
