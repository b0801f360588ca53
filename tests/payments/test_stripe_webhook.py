"""/webhooks/stripe/: Stripe's events, signed with a test secret, replayed out of order and twice.

The charges are made in Stripe mode against recorded exchanges (stripe_replay.py): a charge whose
answer is lost is UNKNOWN, and then either Stripe's webhook or the reconciler settles it first.
"""

import datetime as dt
import json
import time

import pytest
import stripe
from django.utils import timezone

from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.core.money import Money
from onboarding.notifications.models import OutboxMessage, OutboxStatus
from onboarding.notifications.relay import relay_drain
from onboarding.payments.charges import payment_collect
from onboarding.payments.models import (
    PaymentAttempt,
    PaymentDispute,
    PaymentMethod,
    PaymentStatus,
    StripeEvent,
    StripeEventStatus,
)
from onboarding.payments.reconcile import PAYMENT_SETTLED_TOPIC, payment_reconcile_unknown
from onboarding.payments.stripe_events import STRIPE_EVENT_TOPIC
from onboarding.payments.webhooks import MAX_BODY_BYTES, STRIPE_WEBHOOKS_REFUSED
from tests.payments.stripe_replay import ReplayingHTTPClient
from tests.payments.stripe_webhook_helpers import (
    SECRET,
    URL,
    post_event,
    signature_header,
    stripe_event,
)

pytestmark = pytest.mark.django_db

KEY = "inv-21-attempt-1"


@pytest.fixture(autouse=True)
def stripe_mode(settings, monkeypatch):
    """Stripe mode with the endpoint's test secret; Stripe's HTTP answered from the record."""
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_replay"
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    http = ReplayingHTTPClient("charge_timeout_lookup_webhook.json")
    monkeypatch.setattr(stripe._stripe_client, "new_default_http_client", lambda **kw: http)
    return http


@pytest.fixture
def card(customer) -> PaymentMethod:
    """The card on file as the Stripe adapter stores it (customer/payment method)."""
    return PaymentMethod.objects.create(
        customer=customer.customer,
        gateway="stripe",
        token="cus_Q1/pm_1",
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2030,
        expiry_reminded_at=timezone.now(),
    )


@pytest.fixture
def attempt(card) -> PaymentAttempt:
    """A charge whose answer was lost: Stripe has it, we do not know how it went."""
    lost = payment_collect(
        customer=card.customer,
        amount=Money(4900, "EUR"),
        idempotency_key=KEY,
        description="INV-2026-000021",
        reference="",
    )
    assert lost.status == PaymentStatus.UNKNOWN
    return lost


def deliver() -> None:
    relay_drain(worker_id="webhook-test-relay")


def receive(client, *names: str) -> None:
    """Stripe sends the events in this order; the relay then processes them."""
    for name in names:
        assert post_event(client, stripe_event(name)).status_code == 200
    deliver()


def refused(reason: str) -> float:
    return STRIPE_WEBHOOKS_REFUSED.labels(reason)._value.get()


# --- The door ---------------------------------------------------------------------------------


def test_a_signed_event_is_stored_queued_and_answered_at_once(client, attempt):
    response = post_event(client, stripe_event("payment_intent.succeeded"))
    assert response.status_code == 200
    assert response.json() == {"received": "evt_3QwE21ok", "replay": False}
    event = StripeEvent.objects.get()
    assert (event.type, event.object_id, event.status) == (
        "payment_intent.succeeded",
        "pi_3QwE21",
        StripeEventStatus.RECEIVED,
    )
    assert OutboxMessage.objects.filter(topic=STRIPE_EVENT_TOPIC).count() == 1
    attempt.refresh_from_db()
    assert attempt.status == PaymentStatus.UNKNOWN  # nothing processed in the request


def test_the_stored_event_keeps_no_client_secret_and_no_card_number(client, attempt):
    event = stripe_event("payment_intent.succeeded", description="card 4242 4242 4242 4242")
    assert post_event(client, event).status_code == 200
    stored = json.dumps(StripeEvent.objects.get().payload)
    assert "pi_3QwE21_secret_fake" not in stored
    assert "4242 4242 4242 4242" not in stored
    assert "pi_3QwE21" in stored


def test_a_bad_signature_is_400_counted_and_nothing_is_stored(client, attempt):
    before = refused("bad_signature")
    payload = json.dumps(stripe_event("payment_intent.succeeded"))
    response = post_event(client, payload, header=signature_header(payload, secret="whsec_other"))
    assert response.status_code == 400
    assert refused("bad_signature") == before + 1
    assert not StripeEvent.objects.exists()
    assert not OutboxMessage.objects.filter(topic=STRIPE_EVENT_TOPIC).exists()


def test_a_body_changed_after_signing_is_refused(client, attempt):
    payload = json.dumps(stripe_event("payment_intent.payment_failed"))
    header = signature_header(payload)
    tampered = payload.replace("requires_payment_method", "succeeded")
    assert post_event(client, tampered, header=header).status_code == 400
    assert not StripeEvent.objects.exists()


def test_a_missing_signature_is_400_and_counted(client):
    before = refused("no_signature")
    response = post_event(client, stripe_event("payment_intent.succeeded"), header=None)
    assert response.status_code == 400
    assert refused("no_signature") == before + 1
    assert not StripeEvent.objects.exists()


def test_a_stale_signature_is_refused_as_a_replayed_capture(client, settings):
    payload = json.dumps(stripe_event("payment_intent.succeeded"))
    old = int(time.time()) - settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS - 5
    response = post_event(client, payload, header=signature_header(payload, timestamp=old))
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_without_a_configured_secret_every_webhook_is_refused(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert post_event(client, stripe_event("payment_intent.succeeded")).status_code == 400
    # Not even one signed with the empty key the settings hold.
    payload = json.dumps(stripe_event("payment_intent.succeeded"))
    forged = signature_header(payload, secret="")
    assert post_event(client, payload, header=forged).status_code == 400
    assert not StripeEvent.objects.exists()


def test_a_signed_body_that_is_no_event_is_refused(client):
    assert post_event(client, json.dumps({"hello": "world"})).status_code == 400
    assert post_event(client, "[1, 2]").status_code == 400
    assert not StripeEvent.objects.exists()


def test_only_post_is_taken(client):
    assert client.get(URL).status_code == 405
    assert client.put(URL, data="{}", content_type="application/json").status_code == 405


def test_a_body_over_the_bound_is_refused_unread(client):
    event = stripe_event("customer.created", description="x" * MAX_BODY_BYTES)
    assert post_event(client, event).status_code == 413
    assert not StripeEvent.objects.exists()


def test_the_endpoint_needs_no_csrf_token(attempt):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert post_event(strict, stripe_event("payment_intent.succeeded")).status_code == 200


# --- Once by id -------------------------------------------------------------------------------


def test_a_replayed_event_is_acknowledged_and_ignored(client, attempt):
    event = stripe_event("payment_intent.succeeded")
    assert post_event(client, event).status_code == 200
    deliver()
    again = post_event(client, event)
    assert again.status_code == 200
    assert again.json()["replay"] is True
    deliver()
    assert StripeEvent.objects.count() == 1
    assert OutboxMessage.objects.filter(topic=STRIPE_EVENT_TOPIC).count() == 1
    assert OutboxMessage.objects.filter(topic=PAYMENT_SETTLED_TOPIC).count() == 1
    assert AuditEntry.objects.filter(action="payment.succeeded").count() == 1
    assert AuditEntry.objects.filter(action="stripe_event.processed").count() == 1


def test_an_event_type_not_handled_is_stored_and_ignored(client):
    receive(client, "customer.created")
    event = StripeEvent.objects.get()
    assert event.status == StripeEventStatus.IGNORED
    assert AuditEntry.objects.filter(action="stripe_event.ignored", object_id=event.pk).exists()


# --- Payment intents --------------------------------------------------------------------------


def test_succeeded_settles_the_attempt_found_by_our_key_and_tells_billing(client, attempt):
    receive(client, "payment_intent.succeeded")
    attempt.refresh_from_db()
    assert (attempt.status, attempt.gateway_charge_id) == (PaymentStatus.SUCCEEDED, "pi_3QwE21")
    assert attempt.next_reconcile_at is None
    settled = OutboxMessage.objects.get(topic=PAYMENT_SETTLED_TOPIC)
    assert settled.payload["status"] == PaymentStatus.SUCCEEDED
    assert StripeEvent.objects.get().status == StripeEventStatus.PROCESSED


def test_payment_failed_declines_it_with_the_decline_code(client, attempt):
    receive(client, "payment_intent.payment_failed")
    attempt.refresh_from_db()
    assert (attempt.status, attempt.code) == (PaymentStatus.DECLINED, "insufficient_funds")
    assert attempt.message == "Your card has insufficient funds."


def test_processing_leaves_it_unknown_for_later(client, attempt):
    receive(client, "payment_intent.processing")
    attempt.refresh_from_db()
    assert attempt.status == PaymentStatus.UNKNOWN
    assert not OutboxMessage.objects.filter(topic=PAYMENT_SETTLED_TOPIC).exists()


def test_requires_action_waits_for_the_customer_then_succeeded_settles_without_a_mismatch(
    client, attempt
):
    receive(client, "payment_intent.requires_action")
    attempt.refresh_from_db()
    assert (attempt.status, attempt.code) == (
        PaymentStatus.REQUIRES_ACTION,
        "authentication_required",
    )
    assert attempt.gateway_charge_id.startswith("pi_")
    assert attempt.next_reconcile_at is None  # the customer's to confirm, not the reconciler's
    receive(client, "payment_intent.succeeded")
    attempt.refresh_from_db()
    assert attempt.status == PaymentStatus.SUCCEEDED
    assert not AdminAlert.objects.filter(reason="payment_mismatch").exists()
    published = OutboxMessage.objects.filter(topic=PAYMENT_SETTLED_TOPIC)
    assert sorted(m.payload["status"] for m in published) == ["requires_action", "succeeded"]


def test_an_older_failure_arriving_after_the_success_changes_nothing(client, attempt):
    receive(client, "payment_intent.succeeded", "payment_intent.payment_failed")
    attempt.refresh_from_db()
    assert attempt.status == PaymentStatus.SUCCEEDED
    late = StripeEvent.objects.get(type="payment_intent.payment_failed")
    assert late.status == StripeEventStatus.IGNORED
    assert not AdminAlert.objects.filter(reason="payment_mismatch").exists()


def test_events_in_any_order_and_twice_end_where_stripe_ended(client, attempt):
    order = [
        "payment_intent.succeeded",
        "payment_intent.processing",
        "payment_intent.succeeded",
        "payment_intent.requires_action",
        "payment_intent.payment_failed",
        "payment_intent.processing",
    ]
    for name in order:
        post_event(client, stripe_event(name))
        deliver()
    attempt.refresh_from_db()
    assert attempt.status == PaymentStatus.SUCCEEDED
    assert StripeEvent.objects.count() == 4
    assert OutboxMessage.objects.filter(topic=PAYMENT_SETTLED_TOPIC).count() == 1
    assert not AdminAlert.objects.filter(reason="payment_mismatch").exists()


def test_an_intent_that_is_not_ours_is_ignored(client, attempt):
    post_event(client, stripe_event("payment_intent.succeeded", id="pi_other", metadata={}))
    deliver()
    assert StripeEvent.objects.get().status == StripeEventStatus.IGNORED
    attempt.refresh_from_db()
    assert attempt.status == PaymentStatus.UNKNOWN


# --- The reconciler and the webhook agree, whichever comes first -------------------------------


def later() -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=2)


def test_webhook_first_then_the_reconciler_has_nothing_to_ask(client, attempt, stripe_mode):
    receive(client, "payment_intent.succeeded")
    assert payment_reconcile_unknown(now=later()) == 0
    assert stripe_mode.position == 1  # the lookup was never sent
    attempt.refresh_from_db()
    assert (attempt.status, attempt.gateway_charge_id) == (PaymentStatus.SUCCEEDED, "pi_3QwE21")
    assert OutboxMessage.objects.filter(topic=PAYMENT_SETTLED_TOPIC).count() == 1


def test_reconciler_first_then_the_webhook_changes_nothing(client, attempt, stripe_mode):
    assert payment_reconcile_unknown(now=later()) == 1
    assert stripe_mode.all_used()
    receive(client, "payment_intent.succeeded")
    attempt.refresh_from_db()
    assert (attempt.status, attempt.gateway_charge_id) == (PaymentStatus.SUCCEEDED, "pi_3QwE21")
    assert OutboxMessage.objects.filter(topic=PAYMENT_SETTLED_TOPIC).count() == 1
    assert AuditEntry.objects.filter(action="payment.succeeded").count() == 1
    assert not AdminAlert.objects.filter(reason="payment_mismatch").exists()


def test_a_late_failure_after_the_reconciler_settled_raises_no_false_alarm(client, attempt):
    payment_reconcile_unknown(now=later())
    receive(client, "payment_intent.succeeded", "payment_intent.payment_failed")
    attempt.refresh_from_db()
    assert attempt.status == PaymentStatus.SUCCEEDED
    assert not AdminAlert.objects.filter(reason="payment_mismatch").exists()


# --- The card updater -------------------------------------------------------------------------


def test_the_card_updater_refreshes_brand_last4_and_expiry(client, card):
    receive(client, "payment_method.automatically_updated")
    card.refresh_from_db()
    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("visa", "1881", 9, 2033)
    assert card.expiry_reminded_at is None  # the new expiry gets its own reminder
    entry = AuditEntry.objects.get(action="payment_method.updated_by_network")
    assert entry.changes["card_on_file"][1] == "Visa •••• 1881 (expires 09/2033)"


def test_the_card_updater_for_a_card_not_on_file_changes_nothing(client, card):
    post_event(client, stripe_event("payment_method.automatically_updated", id="pm_gone"))
    deliver()
    card.refresh_from_db()
    assert card.last4 == "4242"
    assert StripeEvent.objects.get().status == StripeEventStatus.IGNORED


# --- Disputes ---------------------------------------------------------------------------------


def test_a_dispute_is_recorded_and_alerts_an_admin_and_its_close_too(client, attempt):
    receive(client, "payment_intent.succeeded", "charge.dispute.created")
    dispute = PaymentDispute.objects.get()
    assert (dispute.attempt_id, dispute.status, dispute.is_open) == (
        attempt.pk,
        "needs_response",
        True,
    )
    assert (dispute.amount, dispute.reason) == (Money(4900, "EUR"), "fraudulent")
    opened = AdminAlert.objects.get(reason="payment_disputed")
    assert "fraudulent" in opened.message and "49.00 EUR" in opened.message
    assert AuditEntry.objects.filter(action="payment.disputed", object_id=attempt.pk).exists()
    receive(client, "charge.dispute.closed")
    dispute.refresh_from_db()
    assert (dispute.status, dispute.is_open) == ("won", False)
    closed = AdminAlert.objects.get(reason="payment_dispute_closed")
    assert "won" in closed.message
    assert closed.severity == "warning"


def test_a_dispute_opened_after_its_close_arrived_stays_closed(client, attempt):
    receive(client, "payment_intent.succeeded", "charge.dispute.closed", "charge.dispute.created")
    dispute = PaymentDispute.objects.get()
    assert (dispute.status, dispute.is_open) == ("won", False)
    assert StripeEvent.objects.get(type="charge.dispute.created").status == "ignored"
    assert AdminAlert.objects.filter(reason="payment_disputed").count() == 1


def test_a_dispute_delivered_twice_alerts_once(client, attempt):
    receive(client, "payment_intent.succeeded", "charge.dispute.created")
    again = stripe_event("charge.dispute.created")
    again["id"] = "evt_1DpNewResent"  # Stripe resends under a new event id at times
    post_event(client, again)
    deliver()
    assert PaymentDispute.objects.count() == 1
    assert AdminAlert.objects.get(reason="payment_disputed").count == 1
    assert AuditEntry.objects.filter(action="payment.disputed").count() == 1


# --- A failure to process ---------------------------------------------------------------------


def test_a_failure_to_process_alerts_an_admin_and_the_event_stays_for_retry(client, card):
    broken = stripe_event("payment_method.automatically_updated")
    broken["data"]["object"]["card"]["last4"] = ""
    assert post_event(client, broken).status_code == 200
    deliver()
    event = StripeEvent.objects.get()
    assert (event.status, event.attempts) == (StripeEventStatus.FAILED, 1)
    assert "last four" in event.last_error
    assert AdminAlert.objects.filter(reason="stripe_event_failed").exists()
    message = OutboxMessage.objects.get(topic=STRIPE_EVENT_TOPIC)
    assert message.status == OutboxStatus.RETRYING
    relay_drain(worker_id="webhook-test-relay", now=timezone.now() + dt.timedelta(hours=1))
    event.refresh_from_db()
    assert (event.status, event.attempts) == (StripeEventStatus.FAILED, 2)
    card.refresh_from_db()
    assert card.last4 == "4242"


def test_a_refund_before_its_payment_is_known_paid_waits_for_it(client, attempt):
    # Found by our key (the charge carries the intent's metadata), not yet settled.
    post_event(client, stripe_event("charge.refunded", metadata={"idempotency_key": KEY}))
    deliver()
    event = StripeEvent.objects.get()
    assert event.status == StripeEventStatus.FAILED  # kept, retried by the outbox
    assert not attempt.refunds.exists()
    receive(client, "payment_intent.succeeded")
    relay_drain(worker_id="webhook-test-relay", now=timezone.now() + dt.timedelta(hours=1))
    event.refresh_from_db()
    assert event.status == StripeEventStatus.PROCESSED
    assert attempt.refunds.get().amount == Money(1500, "EUR")
