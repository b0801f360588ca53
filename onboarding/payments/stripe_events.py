"""Stripe's webhook events: stored once by their id, then processed through the outbox.

The endpoint (webhooks.py) verifies the signature and calls `stripe_event_record`, which stores
the event and publishes STRIPE_EVENT_TOPIC in one transaction, and answers at once. The relay
hands the message to `stripe_event_deliver`, which processes the event exactly once (the row is
locked and its status checked), so a replay, a redelivery or two relays change nothing twice.

Ordering: events about the same object (a PaymentIntent, a card, a dispute) are applied in
Stripe's order. One older than an event already applied to its object arrives too late and is
ignored (stored, audited), so a late `payment_failed` never undoes a `succeeded`.

A failure to process is recorded on the event (FAILED, with its error), raised as an admin alert,
and raised again so the outbox retries it with backoff; nothing is lost.
"""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import stripe
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from onboarding.alerts.failures import report_failure
from onboarding.alerts.services import admin_alert_raise
from onboarding.core.cardmask import mask_card_numbers
from onboarding.core.money import Money
from onboarding.notifications.models import OutboxMessage
from onboarding.notifications.registry import DeliveryBatch
from onboarding.notifications.services import outbox_publish
from onboarding.payments import events
from onboarding.payments.charges import payment_attempt_settle
from onboarding.payments.disputes import payment_dispute_record
from onboarding.payments.gateways.stripe import charge_result_of
from onboarding.payments.methods import card_refresh_from_network
from onboarding.payments.models import (
    PAYMENT_OPEN,
    PaymentAttempt,
    StripeEvent,
    StripeEventStatus,
)
from onboarding.payments.reconcile import payment_settled_publish
from onboarding.payments.refunds import payment_refund_record_outside

logger = logging.getLogger(__name__)

# Published with each new event, in the transaction that stores it; payload: event_id (ours).
STRIPE_EVENT_TOPIC = "payments.stripe_event"
_DONE = (StripeEventStatus.PROCESSED, StripeEventStatus.IGNORED)


class MalformedEvent(ValueError):
    """A signed body that is not a Stripe event (no id, type, creation time or object)."""


# --- Recording --------------------------------------------------------------------------------


def _parse(payload: bytes) -> dict:
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as error:
        raise MalformedEvent("the body is not JSON") from error
    if not isinstance(data, dict):
        raise MalformedEvent("the body is not an object")
    event_id, kind, created = data.get("id"), data.get("type"), data.get("created")
    obj = (data.get("data") or {}).get("object") if isinstance(data.get("data"), dict) else None
    if not (isinstance(event_id, str) and event_id.startswith("evt_") and len(event_id) <= 255):
        raise MalformedEvent("no event id")
    if not (isinstance(kind, str) and 0 < len(kind) <= 100):
        raise MalformedEvent("no event type")
    if not isinstance(created, int) or isinstance(created, bool) or not 0 <= created < 2**33:
        raise MalformedEvent("no creation time")
    if not isinstance(obj, dict):
        raise MalformedEvent("no object")
    return data


# A PaymentIntent's or SetupIntent's client secret confirms it from a browser: not ours to keep.
_SECRET_FIELDS = frozenset({"client_secret"})


def _scrubbed(value):
    """The payload as stored: client secrets dropped, a card number typed into any text (a
    description, metadata) masked. Stripe itself never sends a card number."""
    if isinstance(value, dict):
        return {
            key: "[redacted]" if key in _SECRET_FIELDS and item else _scrubbed(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrubbed(item) for item in value]
    if isinstance(value, str):
        return mask_card_numbers(value)
    return value


def stripe_event_record(*, payload: bytes) -> tuple[StripeEvent, bool]:
    """Store an event whose signature was verified, once by its id, and queue its processing.

    Returns (event, created); a replay returns the stored event and queues nothing. Raises
    MalformedEvent for a body that is not a Stripe event.
    """
    data = _parse(payload)
    existing = StripeEvent.objects.filter(stripe_id=data["id"]).first()
    if existing is not None:
        return existing, False
    obj = data["data"]["object"]
    try:
        with transaction.atomic():
            event = StripeEvent.objects.create(
                stripe_id=data["id"],
                type=data["type"],
                object_id=str(obj.get("id") or "")[:255],
                stripe_created=datetime.fromtimestamp(data["created"], tz=UTC),
                livemode=bool(data.get("livemode")),
                payload=_scrubbed(data),
            )
            outbox_publish(
                topic=STRIPE_EVENT_TOPIC,
                payload={"event_id": event.pk, "stripe_id": event.stripe_id},
                dedupe_key=f"stripe-event:{event.stripe_id}",
            )
    except IntegrityError:  # the same event delivered twice at once: the other one stored it
        return StripeEvent.objects.get(stripe_id=data["id"]), False
    return event, True


# --- Processing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Handled:
    """What a handler did: a sentence for the audit log, the customer it concerned, and
    whether anything of ours moved (False: not ours, or nothing new)."""

    note: str
    customer_id: int | None = None
    applied: bool = True


def _attempt_of(
    *, key: str | None, intent_id: str | None, charge_id: str | None = None
) -> PaymentAttempt | None:
    """Our attempt, by the idempotency key the gateway puts in metadata, else by the gateway's
    reference kept on the attempt: the PaymentIntent's id, or (a charge made without an intent)
    the charge's own id."""
    if key:
        found = PaymentAttempt.objects.filter(idempotency_key=key).first()
        if found is not None:
            return found
    references = [ref for ref in (intent_id, charge_id) if ref]
    if references:
        return PaymentAttempt.objects.filter(gateway_charge_id__in=references).first()
    return None


def _metadata_key(obj) -> str | None:
    metadata = obj.get("metadata") or {}
    return metadata.get("idempotency_key")


def _payment_intent(obj) -> Handled:
    """payment_intent.succeeded / payment_failed / processing / requires_action: settle the
    attempt with the same reading of the intent and the same settle as the reconciler."""
    attempt = _attempt_of(key=_metadata_key(obj), intent_id=obj.get("id"))
    if attempt is None:
        return Handled(f"no attempt of ours for {obj.get('id')}", applied=False)
    # Read as the `stripe` library builds a PaymentIntent, as the gateway's own answers are.
    result = charge_result_of(stripe.PaymentIntent.construct_from(obj, stripe.api_key))
    settled, changed = payment_attempt_settle(attempt_id=attempt.pk, result=result)
    if changed and settled.status not in PAYMENT_OPEN:
        payment_settled_publish(attempt=settled)
    note = f"payment {attempt.pk}: {settled.status}" + ("" if changed else " already")
    return Handled(note, attempt.customer_id, applied=changed)


def _card_updated(obj) -> Handled:
    """payment_method.automatically_updated: the card network changed the card on file."""
    card = obj.get("card") or {}
    method = card_refresh_from_network(
        gateway="stripe",
        token=f"{obj.get('customer')}/{obj.get('id')}",
        brand=str(card.get("brand") or ""),
        last4=str(card.get("last4") or ""),
        exp_month=int(card.get("exp_month") or 0),
        exp_year=int(card.get("exp_year") or 0),
    )
    if method is None:
        return Handled(f"no active card of ours is {obj.get('id')}", applied=False)
    return Handled(f"card {method.pk} is now {method}", method.customer_id)


def _charge_refunded(obj) -> Handled:
    """charge.refunded: record what was refunded beyond the refunds we made; billing then
    issues the credit note (PAYMENT_REFUNDED_OUTSIDE_TOPIC). A refund on a charge no attempt of
    ours matches is kept (the stored event) and an admin alerted: money went back that our
    books cannot place."""
    attempt = _attempt_of(
        key=_metadata_key(obj),
        intent_id=_str_or_none(obj.get("payment_intent")),
        charge_id=_str_or_none(obj.get("id")),
    )
    if attempt is None:
        return _refund_of_unknown_charge(obj)
    refunds = (obj.get("refunds") or {}).get("data") or []
    refund = payment_refund_record_outside(
        attempt_id=attempt.pk,
        refunded_total=Money(int(obj.get("amount_refunded") or 0), attempt.currency),
        reference=str(obj.get("id")),
        gateway_refund_id=str(refunds[0].get("id") or "") if refunds else "",
    )
    if refund is None:
        return Handled(f"payment {attempt.pk}: no refund beyond ours", attempt.customer_id, False)
    return Handled(f"payment {attempt.pk}: {refund.amount} refunded outside", attempt.customer_id)


def _str_or_none(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _refund_of_unknown_charge(obj) -> Handled:
    charge_id = str(obj.get("id") or "?")[:128]
    try:
        refunded = str(Money(int(obj.get("amount_refunded") or 0), str(obj["currency"]).upper()))
    except (KeyError, TypeError, ValueError):
        refunded = "an amount"
    message = (
        f"Stripe reports a refund for a charge we do not know: {refunded} refunded on charge "
        f"{charge_id} (payment intent {obj.get('payment_intent') or 'none'}). No payment of ours "
        "matches it, so no credit note was issued; check it in Stripe's dashboard."
    )
    admin_alert_raise(
        reason="stripe_refund_unknown_charge",
        message=message,
        object_type="stripe.charge",
        object_id=charge_id,
        context={"charge": charge_id, "payment_intent": str(obj.get("payment_intent") or "")},
    )
    return Handled(f"refund for a charge we do not know: {charge_id}", applied=False)


def _dispute(obj) -> Handled:
    """charge.dispute.created / updated / closed: the dispute is recorded in the state Stripe
    reports, audited, and an admin alerted when it opens and when it closes."""
    attempt = _attempt_of(key=None, intent_id=obj.get("payment_intent"))
    if attempt is None:
        return Handled(f"no attempt of ours for dispute {obj.get('id')}", applied=False)
    currency = str(obj.get("currency") or attempt.currency).upper()
    created = obj.get("created")
    dispute, changed = payment_dispute_record(
        attempt=attempt,
        dispute_id=str(obj.get("id")),
        amount=Money(int(obj.get("amount") or 0), currency),
        reason=str(obj.get("reason") or ""),
        status=str(obj.get("status") or ""),
        opened_at=datetime.fromtimestamp(created, tz=UTC) if isinstance(created, int) else None,
    )
    note = f"payment {attempt.pk}: {dispute}" + ("" if changed else " already")
    return Handled(note, attempt.customer_id, applied=changed)


HANDLERS: dict[str, Callable[[dict], Handled]] = {
    "payment_intent.succeeded": _payment_intent,
    "payment_intent.payment_failed": _payment_intent,
    "payment_intent.processing": _payment_intent,
    "payment_intent.requires_action": _payment_intent,
    "payment_method.automatically_updated": _card_updated,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute,
    "charge.dispute.updated": _dispute,
    "charge.dispute.closed": _dispute,
}


def _stale(event: StripeEvent) -> bool:
    """An event about an object older than one already handled for it arrives too late (one
    that changed nothing counts too: the reconciler may have settled first)."""
    return (
        StripeEvent.objects.filter(
            object_id=event.object_id,
            type__in=list(HANDLERS),
            status__in=_DONE,
            stripe_created__gt=event.stripe_created,
        )
        .exclude(pk=event.pk)
        .exists()
    )


def _handle(event: StripeEvent) -> Handled:
    handler = HANDLERS.get(event.type)
    if handler is None:
        return Handled(f"{event.type} is not handled", applied=False)
    if event.object_id and _stale(event):
        return Handled("older than an event already applied to its object", applied=False)
    return handler(event.payload["data"]["object"])


def _lock_with_its_object(event_id: int) -> StripeEvent:
    """Lock the event and every event about the same object, in id order: two relays then
    process one object's events one after the other, and the later sees what the earlier did
    (the stale check needs it)."""
    object_id = StripeEvent.objects.values_list("object_id", flat=True).get(pk=event_id)
    same = StripeEvent.objects.filter(object_id=object_id) if object_id else None
    if same is None:
        return StripeEvent.objects.select_for_update().get(pk=event_id)
    locked = {e.pk: e for e in same.select_for_update().order_by("pk")}
    return locked[event_id]


def stripe_event_process(*, event_id: int) -> str:
    """Process one stored event exactly once; returns its status. Raises (after recording the
    failure and alerting an admin) when processing fails, for the outbox to retry."""
    try:
        with transaction.atomic():
            event = _lock_with_its_object(event_id)
            if event.status in _DONE:
                return event.status
            handled = _handle(event)
            event.status = (
                StripeEventStatus.PROCESSED if handled.applied else StripeEventStatus.IGNORED
            )
            event.attempts += 1
            event.processed_at = timezone.now()
            event.last_error = ""
            event.save(update_fields=["status", "attempts", "processed_at", "last_error"])
            events.stripe_event_done(
                event=event,
                note=handled.note,
                customer_id=handled.customer_id,
                processed=event.status == StripeEventStatus.PROCESSED,
            )
            return event.status
    except Exception as error:
        _failed(event_id=event_id, error=error)
        raise


def _failed(*, event_id: int, error: Exception) -> None:
    """Keep the failure on the event and tell an admin; the event stays for the retry."""
    StripeEvent.objects.filter(pk=event_id).exclude(status__in=_DONE).update(
        status=StripeEventStatus.FAILED,
        attempts=F("attempts") + 1,
        last_error=f"{error.__class__.__name__}: {error}"[:2000],
    )
    event = StripeEvent.objects.filter(pk=event_id).first()
    report_failure(
        reason="stripe_event_failed",
        user_message=(
            f"Processing Stripe event {event.stripe_id if event else event_id} "
            f"({event.type if event else '?'}) failed; it is retried"
        ),
        error=error,
        target=event,
        until_resolved=True,
    )


def stripe_event_deliver(message: OutboxMessage, batch: DeliveryBatch) -> None:
    """The outbox consumer of STRIPE_EVENT_TOPIC (registered in apps.py)."""
    stripe_event_process(event_id=int(message.payload["event_id"]))
