"""What billing does with other apps' outbox events (registered in apps.py, delivered by the
relay inside the transaction that records the delivery, so each is applied exactly once)."""

from onboarding.billing.dunning import invoices_retry_on_new_card
from onboarding.billing.refunds import invoice_refund_recorded
from onboarding.billing.services import invoice_payment_settled
from onboarding.notifications.models import OutboxMessage
from onboarding.notifications.registry import DeliveryBatch


def payment_settled(message: OutboxMessage, batch: DeliveryBatch) -> None:
    """payments.reconcile settled an attempt: apply it to the invoice it charged, if any."""
    if not message.payload.get("invoice_reference"):
        return  # not an invoice's payment: nothing of billing's moves
    invoice_payment_settled(attempt_id=int(message.payload["attempt_id"]))


def refunded_outside(message: OutboxMessage, batch: DeliveryBatch) -> None:
    """payments recorded a refund made in Stripe's dashboard: issue the invoice's credit note."""
    if not message.payload.get("invoice_reference"):
        return  # not an invoice's payment: nothing to credit
    invoice_refund_recorded(refund_id=int(message.payload["refund_id"]))


def card_changed(message: OutboxMessage, batch: DeliveryBatch) -> None:
    """payments put a new card on file (or the card network renewed the one on file): charge the
    customer's failed open invoices on it now (sent once the relay's transaction commits)."""
    invoices_retry_on_new_card(customer_id=int(message.payload["customer_id"]))
