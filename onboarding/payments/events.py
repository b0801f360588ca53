"""The payments app's audit events, one typed function each: nothing else writes them.

A card added, replaced, refused or reminded of its expiry; a charge settled (one at a time, or
as rows for the bulk writer); a refund settled; a sandbox fault armed; what Stripe's webhook
events did (a card updated by the network, a refund made outside, a dispute, each event done).
"""

from onboarding.accounts.models import Customer, User
from onboarding.audit.bulk import AuditRow
from onboarding.audit.models import Outcome
from onboarding.audit.services import audit_record
from onboarding.payments.models import (
    PaymentAttempt,
    PaymentMethod,
    PaymentRefund,
    PaymentStatus,
    RefundStatus,
    SandboxFault,
    StripeEvent,
)

# --- Cards -------------------------------------------------------------------------------------


def card_add_failed(*, actor: User, customer: Customer, code: str, message: str) -> None:
    """The gateway refused or did not answer the card."""
    audit_record(
        action="payment_method.add_failed",
        actor=actor,
        target=customer,
        customer_id=customer.pk,
        outcome=Outcome.FAILURE,
        message=f"{code}: {message}",
    )


def card_setup_action_required(*, actor: User, customer: Customer) -> None:
    """The bank asks the customer to confirm the card before it goes on file (SCA at setup)."""
    audit_record(
        action="payment_method.setup_action_required",
        actor=actor,
        target=customer,
        customer_id=customer.pk,
        outcome=Outcome.FAILURE,
        message="waiting for the customer to confirm the card with their bank",
    )


def card_replace_refused(*, actor: User, customer: Customer) -> None:
    """A card on file is replaced only after the actor's password is confirmed again."""
    audit_record(
        action="payment_method.replace_refused",
        actor=actor,
        target=customer,
        customer_id=customer.pk,
        outcome=Outcome.REFUSED,
        message="password not confirmed",
    )


def card_added(*, actor: User, method: PaymentMethod, previous: PaymentMethod | None) -> None:
    """ "payment_method.replaced" when `previous` was on file, else "payment_method.added"."""
    audit_record(
        action="payment_method.replaced" if previous else "payment_method.added",
        actor=actor,
        target=method,
        customer_id=method.customer_id,
        changes={"card": [str(previous) if previous else None, str(method)]},
    )


def card_expiry_reminded(*, method: PaymentMethod, customer: Customer) -> None:
    audit_record(
        action="payment_method.expiry_reminded",
        target=method,
        customer_id=customer.pk,
        message=f"{method} reminder sent to {customer.user.preferred_inbox}",
    )


# --- Charges -----------------------------------------------------------------------------------


def payment_settled_row(*, attempt: PaymentAttempt, previous: str) -> AuditRow:
    """The "payment.<status>" entry of a settle, as a row for audit.bulk's writer (no actor:
    the system charged)."""
    return AuditRow(
        action=f"payment.{attempt.status}",
        object_type=PaymentAttempt._meta.label_lower,
        object_id=attempt.pk,
        customer_id=attempt.customer_id,
        changes={"status": [previous, attempt.status]},
        outcome=(Outcome.SUCCESS if attempt.status == PaymentStatus.SUCCEEDED else Outcome.FAILURE),
        message=(
            f"{attempt.amount} for {attempt.invoice_reference or attempt.description}"
            + (f" ({attempt.code})" if attempt.code else "")
        ),
    )


def payment_settled(*, attempt: PaymentAttempt, previous: str) -> None:
    """One settle, written now: the same entry as payment_settled_row."""
    row = payment_settled_row(attempt=attempt, previous=previous)
    audit_record(
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        customer_id=row.customer_id,
        changes=row.changes,
        outcome=row.outcome,
        message=row.message,
    )


# --- Refunds -----------------------------------------------------------------------------------


def refund_settled(*, actor: User, refund: PaymentRefund) -> None:
    """ "payment.refunded" or "payment.refund_failed", by the refund's settled status."""
    succeeded = refund.status == RefundStatus.SUCCEEDED
    audit_record(
        action="payment.refunded" if succeeded else "payment.refund_failed",
        actor=actor,
        target=refund.attempt,
        customer_id=refund.attempt.customer_id,
        changes={"refunded": [None, str(refund.amount)]},
        outcome=Outcome.SUCCESS if succeeded else Outcome.FAILURE,
        message=f"refund {refund.pk}" + (f": {refund.code}" if refund.code else ""),
    )


# --- The sandbox gateway -----------------------------------------------------------------------


def sandbox_fault_armed(*, fault: SandboxFault) -> None:
    audit_record(
        action="sandbox.fault_armed",
        target=fault,
        message=f"{fault.operation}: {fault.kind} x{fault.remaining}",
    )


# --- Stripe's webhook events -------------------------------------------------------------------


def card_updated_by_network(*, method: PaymentMethod, previous: str) -> None:
    """The card network gave Stripe a new expiry or number for the card on file (card updater):
    brand, last four and expiry follow; the number itself never reaches us."""
    audit_record(
        action="payment_method.updated_by_network",
        target=method,
        customer_id=method.customer_id,
        # Not under "card", a key the audit log redacts whole: brand, last four and expiry are
        # what staff need to see here, and hold no number.
        changes={"card_on_file": [previous, str(method)]},
    )


def refund_recorded_outside(*, refund: PaymentRefund) -> None:
    """A refund made outside the product (Stripe's dashboard), learnt from a webhook."""
    audit_record(
        action="payment.refunded_outside",
        target=refund.attempt,
        customer_id=refund.attempt.customer_id,
        changes={"refunded": [None, str(refund.amount)]},
        message=f"refund {refund.pk} ({refund.gateway_refund_id or refund.idempotency_key})",
    )


def payment_disputed(*, attempt: PaymentAttempt, action: str, message: str) -> None:
    """ "payment.disputed" (a chargeback opened) or "payment.dispute_closed"."""
    audit_record(
        action=action,
        target=attempt,
        customer_id=attempt.customer_id,
        outcome=Outcome.FAILURE if action == "payment.disputed" else Outcome.SUCCESS,
        message=message,
    )


def stripe_event_done(
    *, event: StripeEvent, note: str, customer_id: int | None, processed: bool
) -> None:
    """ "stripe_event.processed" or "stripe_event.ignored" (not ours, not handled, or older
    than one already applied), with what was done."""
    audit_record(
        action="stripe_event.processed" if processed else "stripe_event.ignored",
        target=event,
        customer_id=customer_id,
        changes={"type": event.type, "stripe_id": event.stripe_id},
        message=note,
    )
