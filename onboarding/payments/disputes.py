"""Disputes (chargebacks): recorded as the gateway reports them, audited, and an admin alerted.

A dispute needs a person: evidence goes to Stripe before its deadline, in Stripe's dashboard.
The row (PaymentDispute) is what the payment's invoice and the customer's view read to flag it.
"""

from datetime import datetime

from django.db import transaction

from onboarding.alerts.services import admin_alert_raise
from onboarding.core import clock
from onboarding.core.money import Money
from onboarding.payments import events
from onboarding.payments.models import PaymentAttempt, PaymentDispute

# The gateway's statuses of a dispute that is over.
DISPUTE_CLOSED = frozenset({"won", "lost", "warning_closed", "prevented"})


def payment_dispute_record(
    *,
    attempt: PaymentAttempt,
    dispute_id: str,
    amount: Money,
    reason: str,
    status: str,
    opened_at: datetime | None = None,
) -> tuple[PaymentDispute, bool]:
    """Record the dispute's state as the gateway reports it; (dispute, changed). Idempotent.

    Opening it audits "payment.disputed" and raises the alert `payment_disputed`; closing it
    audits "payment.dispute_closed" and raises `payment_dispute_closed` (a warning when won).
    """
    closing = status in DISPUTE_CLOSED
    with transaction.atomic():
        dispute = PaymentDispute.objects.select_for_update().filter(
            gateway_dispute_id=dispute_id
        ).first() or PaymentDispute(
            attempt=attempt,
            gateway_dispute_id=dispute_id,
            amount_minor=amount.amount_minor,
            currency=amount.currency,
            reason=reason[:64],
            status="",
            opened_at=opened_at or clock.now(),
        )
        new = dispute.pk is None
        if not new and (dispute.status == status or not dispute.is_open):
            return dispute, False  # nothing new, or already closed (a close is final)
        dispute.status = status[:32]
        dispute.closed_at = clock.now() if closing else None
        dispute.save()
        if new:
            _opened(attempt=attempt, dispute=dispute)
        if closing:
            _closed(attempt=attempt, dispute=dispute)
    return dispute, True


def _opened(*, attempt: PaymentAttempt, dispute: PaymentDispute) -> None:
    reference = attempt.invoice_reference or attempt.description
    message = (
        f"Payment {attempt.pk} ({reference}) is disputed for {dispute.amount}: "
        f"{dispute.reason or 'no reason given'}. Answer it in Stripe's dashboard "
        f"(dispute {dispute.gateway_dispute_id}) before its evidence deadline."
    )
    events.payment_disputed(attempt=attempt, action="payment.disputed", message=message)
    admin_alert_raise(
        reason="payment_disputed",
        message=message,
        target=attempt,
        customer_id=attempt.customer_id,
        context={"dispute": dispute.gateway_dispute_id},
    )


def _closed(*, attempt: PaymentAttempt, dispute: PaymentDispute) -> None:
    reference = attempt.invoice_reference or attempt.description
    message = f"The dispute on payment {attempt.pk} ({reference}) closed: {dispute.status}."
    events.payment_disputed(attempt=attempt, action="payment.dispute_closed", message=message)
    admin_alert_raise(
        reason="payment_dispute_closed",
        message=message,
        target=attempt,
        customer_id=attempt.customer_id,
        context={"dispute": dispute.gateway_dispute_id, "status": dispute.status},
        severity="warning" if dispute.status == "won" else "error",
    )
