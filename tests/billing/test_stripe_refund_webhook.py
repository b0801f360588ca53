"""A refund made in Stripe's dashboard reaches billing: Stripe's charge.refunded webhook is
recorded by payments and published, and billing issues the credit note, once."""

import pytest

from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import CreditNote, Invoice
from onboarding.billing.services import invoice_refund
from onboarding.core.money import Money
from onboarding.payments.models import PaymentRefund, RefundStatus, StripeEvent
from tests.billing.conftest import buy, deliver_events, ready_customer, today
from tests.payments.stripe_webhook_helpers import SECRET, post_event, stripe_event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET


@pytest.fixture
def paid(plan, customer) -> Invoice:
    buy(ready_customer(customer), plan)
    bill_run_execute(run_date=today())
    return Invoice.objects.select_related("paid_attempt").get()


def refunded(
    client, invoice: Invoice, *, total: int, event_id: str = "evt_3QwE21ref", earlier: int = 0
):
    """Stripe says `total` has been refunded on the charge that paid `invoice` so far (in an
    event created `earlier` seconds before the recorded one)."""
    event = stripe_event(
        "charge.refunded",
        payment_intent=invoice.paid_attempt.gateway_charge_id,
        amount=invoice.total_minor,
        amount_captured=invoice.total_minor,
        amount_refunded=total,
    )
    event["id"] = event_id
    event["created"] -= earlier
    assert post_event(client, event).status_code == 200
    deliver_events()


def test_a_refund_made_in_stripe_is_recorded_and_billing_issues_its_credit_note(client, paid):
    refunded(client, paid, total=1500)
    refund = PaymentRefund.objects.get()
    assert (refund.amount_minor, refund.status) == (1500, RefundStatus.SUCCEEDED)
    assert refund.created_by is None
    note = CreditNote.objects.get()
    assert (note.status, note.total_minor, note.refund_id) == ("issued", 1500, refund.pk)
    assert note.number == f"CN-{today().year}-000001"
    assert note.subtotal_minor + note.tax_minor == 1500
    paid.refresh_from_db()
    assert paid.credited_minor == 1500
    assert AuditEntry.objects.filter(action="payment.refunded_outside").count() == 1
    assert AuditEntry.objects.filter(action="credit_note.issued").count() == 1


def test_the_same_event_twice_issues_one_credit_note(client, paid):
    refunded(client, paid, total=1500)
    refunded(client, paid, total=1500)
    assert StripeEvent.objects.count() == 1
    assert CreditNote.objects.count() == 1


def test_a_second_refund_credits_only_what_is_new_and_a_late_first_nothing(client, paid):
    refunded(client, paid, total=4000, event_id="evt_second")
    refunded(client, paid, total=1500, event_id="evt_first", earlier=60)  # delivered late
    assert [n.total_minor for n in CreditNote.objects.order_by("pk")] == [4000]
    refunded(client, paid, total=5000, event_id="evt_third")
    assert [n.total_minor for n in CreditNote.objects.order_by("pk")] == [4000, 1000]
    paid.refresh_from_db()
    assert paid.credited_minor == 5000


def test_our_own_refund_echoed_by_stripe_is_not_credited_twice(client, paid, sysops):
    invoice_refund(invoice=paid, actor=sysops, amount=Money(1000, "EUR"), reason="Outage day")
    refunded(client, paid, total=1000)
    assert PaymentRefund.objects.count() == 1
    assert CreditNote.objects.count() == 1
    assert StripeEvent.objects.get().status == "ignored"


def test_a_refund_without_our_key_is_found_by_the_charge_id_kept_on_the_payment(client, paid):
    # A charge made without a PaymentIntent: the attempt keeps the charge's own id.
    attempt = paid.paid_attempt
    attempt.gateway_charge_id = "ch_3QwE21"
    attempt.save(update_fields=["gateway_charge_id"])
    event = stripe_event("charge.refunded", payment_intent=None, metadata={}, amount_refunded=1500)
    assert post_event(client, event).status_code == 200
    deliver_events()
    assert PaymentRefund.objects.get().amount_minor == 1500
    assert CreditNote.objects.get().total_minor == 1500


def test_a_refund_for_a_charge_we_do_not_know_is_kept_and_alerts_an_admin(client, paid):
    event = stripe_event(
        "charge.refunded",
        id="ch_not_ours",
        payment_intent="pi_not_ours",
        metadata={},
        amount_refunded=2500,
    )
    assert post_event(client, event).status_code == 200
    deliver_events()
    stored = StripeEvent.objects.get()
    assert stored.status == "ignored"
    assert stored.payload["data"]["object"]["id"] == "ch_not_ours"
    alert = AdminAlert.objects.get(reason="stripe_refund_unknown_charge")
    assert "refund for a charge we do not know" in alert.message
    assert "ch_not_ours" in alert.message and "pi_not_ours" in alert.message
    assert "25.00 EUR" in alert.message
    assert not PaymentRefund.objects.exists()
    assert not CreditNote.objects.exists()
