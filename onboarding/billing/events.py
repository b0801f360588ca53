"""Billing's audit events, one keyword-only function per event: nothing else writes them.

Subscriptions bought, changed, stopped and moved; invoices issued, paid, failed, resent, voided,
documented and told; refunds requested, issued and cancelled. The bill run and the charging of a
batch write their entries many at a time (onboarding.audit.bulk): their events are the `*_row`
functions, each a plain constructor of the row, free of queries, that the caller hands to
`audit_rows_write`.
"""

from datetime import date

from onboarding.accounts.models import User
from onboarding.audit.bulk import AuditRow
from onboarding.audit.models import Outcome
from onboarding.audit.services import audit_record
from onboarding.billing.documents import StoredPdf
from onboarding.billing.models import (
    CreditNote,
    Invoice,
    InvoiceStatus,
    PaymentState,
    RetryStop,
    Subscription,
    SubscriptionStatus,
)
from onboarding.catalog.models import BillingCycle
from onboarding.core.money import Money
from onboarding.notifications.models import Notification
from onboarding.payments.gateways.base import NOT_RECEIVED

# What audit entries (and admin alerts about many rows) call an invoice and a subscription.
INVOICE_TYPE = Invoice._meta.label_lower
SUBSCRIPTION_TYPE = Subscription._meta.label_lower

# --- Subscriptions -----------------------------------------------------------------------------


def subscription_purchased(*, actor: User, subscription: Subscription) -> None:
    audit_record(
        action="subscription.purchased",
        actor=actor,
        target=subscription,
        customer_id=subscription.customer_id,
        changes={
            "plan": [None, subscription.plan.slug],
            "cycle": [None, subscription.cycle],
            "price": [None, str(subscription.price)],
        },
    )


def subscription_cycle_changed(
    *, actor: User, subscription: Subscription, previous_cycle: str, cycle: str
) -> None:
    audit_record(
        action="subscription.cycle_changed",
        actor=actor,
        target=subscription,
        customer_id=subscription.customer_id,
        changes={"cycle": [previous_cycle, cycle]},
        message=f"effective from the next period ({BillingCycle(cycle).label})",
    )


def _terms(plan_slug: str, quantity: int) -> str:
    return f"{plan_slug} x{quantity}"


def subscription_plan_change_requested(
    *, actor: User | None, subscription: Subscription, change, invoice: Invoice
) -> None:
    """An upgrade or quantity increase, waiting for its proration invoice to be paid."""
    audit_record(
        action="subscription.plan_change_requested",
        actor=actor,
        target=subscription,
        customer_id=subscription.customer_id,
        changes={
            "terms": [
                _terms(change.from_plan.slug, change.from_quantity),
                _terms(change.to_plan.slug, change.to_quantity),
            ]
        },
        message=f"takes effect when invoice {invoice.number} ({invoice.total}) is paid",
    )


def subscription_plan_changed(*, actor: User | None, subscription: Subscription, change) -> None:
    audit_record(
        action="subscription.plan_changed",
        actor=actor,
        target=subscription,
        customer_id=subscription.customer_id,
        changes={
            "plan": [change.from_plan.slug, change.to_plan.slug],
            "quantity": [change.from_quantity, change.to_quantity],
            **({"cycle": [None, change.to_cycle]} if change.to_cycle else {}),
        },
        message=f"in effect from {change.effective_at.isoformat()}",
    )


def subscription_plan_change_declined(*, subscription: Subscription, change, invoice) -> None:
    audit_record(
        action="subscription.plan_change_declined",
        actor=change.requested_by,
        target=subscription,
        customer_id=subscription.customer_id,
        outcome=Outcome.FAILURE,
        changes={"invoice": [invoice.number, "void"]},
        message=f"payment of {invoice.number} failed; the plan was not changed",
    )


def subscription_change_scheduled(
    *,
    actor: User,
    subscription: Subscription,
    previous: tuple[str, int],
    scheduled: tuple[str, int],
) -> None:
    audit_record(
        action="subscription.change_scheduled",
        actor=actor,
        target=subscription,
        customer_id=subscription.customer_id,
        changes={"terms": [_terms(*previous), _terms(*scheduled)]},
        message="effective from the next period",
    )


def subscription_scheduled_change_cancelled(
    *, actor: User, subscription: Subscription, scheduled: tuple[str, int]
) -> None:
    audit_record(
        action="subscription.scheduled_change_cancelled",
        actor=actor,
        target=subscription,
        customer_id=subscription.customer_id,
        changes={"terms": [_terms(*scheduled), None]},
    )


def subscription_stopping(*, actor: User | None, subscription: Subscription, because: str) -> None:
    """Billing stops at the end of the paid period; `because` ends the message."""
    audit_record(
        action="subscription.cancel_at_period_end",
        actor=actor,
        target=subscription,
        customer_id=subscription.customer_id,
        changes={"cancel_at_period_end": [False, True]},
        message=f"billing stops at the end of the paid period ({because})",
    )


def subscription_cancelled_row(
    *, subscription_id: int, customer_id: int, previous_status: str
) -> AuditRow:
    """The bill run cancels a subscription that was to stop at the end of its period."""
    return AuditRow(
        action="subscription.cancelled",
        object_type=SUBSCRIPTION_TYPE,
        object_id=subscription_id,
        customer_id=customer_id,
        changes={"status": [previous_status, SubscriptionStatus.CANCELLED]},
        message="cancelled at the end of its period",
    )


def scheduled_change_not_applied_row(
    *,
    subscription_id: int,
    customer_id: int,
    scheduled: tuple[str, int],
    kept: tuple[str, int],
    reason: str,
) -> AuditRow:
    """The renewal could not make the change scheduled for it: the subscription kept its terms."""
    return AuditRow(
        action="subscription.scheduled_change_not_applied",
        object_type=SUBSCRIPTION_TYPE,
        object_id=subscription_id,
        customer_id=customer_id,
        changes={"terms": [_terms(*scheduled), _terms(*kept)]},
        message=f"renewed on its current terms: {reason}"[:500],
    )


def subscription_activated_row(
    *, subscription_id: int, customer_id: int, previous_status: str
) -> AuditRow:
    """A paid invoice makes its subscription active."""
    return AuditRow(
        action="subscription.activated",
        object_type=SUBSCRIPTION_TYPE,
        object_id=subscription_id,
        customer_id=customer_id,
        changes={"status": [previous_status, SubscriptionStatus.ACTIVE]},
        message="paid",
    )


def subscription_past_due_row(
    *, subscription_id: int, customer_id: int, previous_status: str
) -> AuditRow:
    """An uncollectible invoice makes its subscription past due."""
    return AuditRow(
        action="subscription.past_due",
        object_type=SUBSCRIPTION_TYPE,
        object_id=subscription_id,
        customer_id=customer_id,
        changes={"status": [previous_status, SubscriptionStatus.PAST_DUE]},
        outcome=Outcome.FAILURE,
        message="an invoice is uncollectible",
    )


# --- Invoices: issued and paid -----------------------------------------------------------------


def invoice_issued_row(
    *,
    invoice_id: int,
    number: str,
    customer_id: int,
    subscription_id: int,
    total: Money,
    period_start: date,
    period_end: date,
) -> AuditRow:
    """The bill run issues an invoice for a subscription's period."""
    return AuditRow(
        action="invoice.issued",
        object_type=INVOICE_TYPE,
        object_id=invoice_id,
        customer_id=customer_id,
        changes={"number": number, "total": str(total), "period": [period_start, period_end]},
        message=f"{number} for subscription {subscription_id}",
    )


def invoice_payment_requested(*, actor: User, invoice: Invoice) -> None:
    """The customer asks to pay now: the invoice's next attempt is reserved."""
    audit_record(
        action="invoice.payment_requested",
        actor=actor,
        target=invoice,
        customer_id=invoice.customer_id,
        changes={"attempt": invoice.attempt_count},
        message=f"{invoice.number}: {invoice.total}",
    )


def invoice_paid_row(*, invoice: Invoice, previous_status: str, attempt: str) -> AuditRow:
    """`attempt` names the attempt that paid ("attempt 2 (retry)")."""
    return AuditRow(
        action="invoice.paid",
        object_type=INVOICE_TYPE,
        object_id=invoice.pk,
        customer_id=invoice.customer_id,
        changes={"status": [previous_status, InvoiceStatus.PAID]},
        message=f"{invoice.number}: {invoice.total} paid, {attempt}",
    )


def invoice_payment_failed_row(
    *, invoice: Invoice, state: str, code: str, attempt: str, usual_hour: int | None = None
) -> AuditRow:
    """The attempt was declined or failed (`state`); the message ends with what the customer
    is told (the invoice's last payment message). The changes record dunning's decision: the
    decline's kind, the next retry (none after a hard decline or the last one) and the
    customer's usual hour of payment it was moved to, if known (retry_timing.py)."""
    return AuditRow(
        action="invoice.payment_failed",
        object_type=INVOICE_TYPE,
        object_id=invoice.pk,
        customer_id=invoice.customer_id,
        outcome=Outcome.FAILURE,
        changes={
            "payment_state": [PaymentState.PROCESSING, state],
            "code": code,
            "decline": "hard" if invoice.retry_stopped == RetryStop.HARD_DECLINE else "soft",
            "next_retry_at": invoice.next_retry_at.isoformat() if invoice.next_retry_at else None,
            "usual_hour_utc": usual_hour,
        },
        message=f"{invoice.number}: {attempt} {state}: {invoice.last_payment_message}",
    )


def invoice_action_required_row(*, invoice: Invoice, attempt: str) -> AuditRow:
    """The bank asks the customer to confirm the attempt (SCA): no retry charges it while it
    waits; the next reminder (dunning's schedule) or, past the schedule, uncollectible."""
    return AuditRow(
        action="invoice.action_required",
        object_type=INVOICE_TYPE,
        object_id=invoice.pk,
        customer_id=invoice.customer_id,
        outcome=Outcome.FAILURE,
        changes={
            "payment_state": [PaymentState.PROCESSING, PaymentState.ACTION_REQUIRED],
            "code": invoice.last_payment_code,
            "next_reminder_at": (
                invoice.next_retry_at.isoformat() if invoice.next_retry_at else None
            ),
        },
        message=f"{invoice.number}: {attempt} waits for the customer's confirmation",
    )


def invoice_action_reminded_row(*, invoice: Invoice) -> AuditRow:
    """Dunning's schedule reached a day while the payment still waits for the customer: a
    reminder instead of a retry, or the end of the schedule."""
    return AuditRow(
        action="invoice.action_reminded",
        object_type=INVOICE_TYPE,
        object_id=invoice.pk,
        customer_id=invoice.customer_id,
        outcome=Outcome.FAILURE,
        changes={
            "dunning_retries": invoice.dunning_retries,
            "next_reminder_at": (
                invoice.next_retry_at.isoformat() if invoice.next_retry_at else None
            ),
        },
        message=f"{invoice.number}: reminder {invoice.dunning_retries} to confirm the payment",
    )


def invoice_action_answered(*, actor: User, invoice: Invoice, attempt_status: str) -> None:
    """The customer went through the confirmation page: "invoice.action_confirmed" when the
    payment went through, else "invoice.action_not_confirmed" (cancelled, or refused)."""
    confirmed = attempt_status == "succeeded"
    audit_record(
        action="invoice.action_confirmed" if confirmed else "invoice.action_not_confirmed",
        actor=actor,
        target=invoice,
        customer_id=invoice.customer_id,
        outcome=Outcome.SUCCESS if confirmed else Outcome.FAILURE,
        message=f"{invoice.number} attempt {invoice.attempt_count}: {attempt_status}",
    )


def invoice_retries_stopped_row(*, invoice: Invoice) -> AuditRow:
    """A hard decline: dunning stops, and the customer is asked for a new card."""
    return AuditRow(
        action="invoice.retries_stopped",
        object_type=INVOICE_TYPE,
        object_id=invoice.pk,
        customer_id=invoice.customer_id,
        outcome=Outcome.FAILURE,
        changes={"retry_stopped": ["", invoice.retry_stopped], "code": invoice.last_payment_code},
        message=(
            f"{invoice.number}: hard decline ({invoice.last_payment_code}): retries stopped, "
            "the customer is asked for a new card"
        ),
    )


def invoice_new_card_retry_row(*, invoice: Invoice) -> AuditRow:
    """The customer put a new card on file: the failed invoice is charged on it at once."""
    return AuditRow(
        action="invoice.new_card_retry",
        object_type=INVOICE_TYPE,
        object_id=invoice.pk,
        customer_id=invoice.customer_id,
        changes={"attempt": invoice.attempt_count, "retry_stopped": [invoice.retry_stopped, ""]},
        message=f"{invoice.number}: a new card is on file, attempt {invoice.attempt_count} sent",
    )


def invoice_uncollectible_row(
    *, invoice: Invoice, because: str = "every dunning retry failed"
) -> AuditRow:
    return AuditRow(
        action="invoice.uncollectible",
        object_type=INVOICE_TYPE,
        object_id=invoice.pk,
        customer_id=invoice.customer_id,
        outcome=Outcome.FAILURE,
        changes={"status": [InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE]},
        message=f"{invoice.number}: {because}",
    )


def invoice_payment_pending_row(*, invoice: Invoice, state: str, attempt: str) -> AuditRow:
    return AuditRow(
        action="invoice.payment_pending",
        object_type=INVOICE_TYPE,
        object_id=invoice.pk,
        customer_id=invoice.customer_id,
        changes={"payment_state": [PaymentState.PROCESSING, state]},
        message=f"{invoice.number}: {attempt}: the gateway's answer is not known yet",
    )


def invoice_payment_resent_row(*, invoice: Invoice, lost_attempt: int) -> AuditRow:
    """Attempt `lost_attempt` never reached the provider; the invoice's current attempt is the
    one sent again."""
    return AuditRow(
        action="invoice.payment_resent",
        object_type=INVOICE_TYPE,
        object_id=invoice.pk,
        customer_id=invoice.customer_id,
        changes={"attempt": [lost_attempt, invoice.attempt_count], "code": NOT_RECEIVED},
        message=(
            f"{invoice.number}: attempt {lost_attempt} never reached the payment provider; "
            f"sent again as attempt {invoice.attempt_count}"
        ),
    )


def invoice_voided(*, actor: User, invoice: Invoice, previous_status: str, reason: str) -> None:
    audit_record(
        action="invoice.voided",
        actor=actor,
        target=invoice,
        customer_id=invoice.customer_id,
        changes={"status": [previous_status, InvoiceStatus.VOID]},
        message=reason,
    )


# --- Invoices: the document and the notices ----------------------------------------------------


def invoice_pdf_generated(*, invoice: Invoice, stored: StoredPdf) -> None:
    """`invoice` still carries the hash of the PDF the new one replaces, if any."""
    audit_record(
        action="invoice.pdf_generated",
        target=invoice,
        customer_id=invoice.customer_id,
        changes={
            "pdf_sha256": stored.sha256,
            "bytes": stored.size,
            **({"replaces": invoice.pdf_sha256} if invoice.pdf_sha256 else {}),
        },
        message=f"{invoice.number}: {stored.path}",
    )


def _invoice_notice_sent(
    *, action: str, invoice: Invoice, notification: Notification, message: str
) -> None:
    audit_record(
        action=action,
        target=invoice,
        customer_id=invoice.customer_id,
        changes={
            "notification": notification.pk,
            "kind": notification.kind,
            "channels": notification.channels,
        },
        message=message,
    )


def invoice_notified(*, invoice: Invoice, notification: Notification) -> None:
    """The issue notice, with the PDF, is on its way."""
    _invoice_notice_sent(
        action="invoice.notified",
        invoice=invoice,
        notification=notification,
        message=f"{invoice.number} sent to {', '.join(notification.channels)}",
    )


def invoice_payment_notified(*, invoice: Invoice, notification: Notification, outcome: str) -> None:
    """A receipt or a failed payment's notice for the invoice's current attempt."""
    _invoice_notice_sent(
        action="invoice.payment_notified",
        invoice=invoice,
        notification=notification,
        message=f"{invoice.number} attempt {invoice.attempt_count}: {outcome}",
    )


def invoice_action_notified(*, invoice: Invoice, notification: Notification) -> None:
    """The customer was asked (or reminded) to confirm the payment, with the page's link."""
    _invoice_notice_sent(
        action="invoice.action_notified",
        invoice=invoice,
        notification=notification,
        message=f"{invoice.number} attempt {invoice.attempt_count}: confirm the payment "
        f"(reminder {invoice.dunning_retries})",
    )


# --- Refunds (credit notes) --------------------------------------------------------------------


def credit_note_requested(
    *, actor: User | None, credit_note: CreditNote, invoice: Invoice, amount: Money
) -> None:
    """A draft credit note reserves a refund of `amount` on `invoice`."""
    audit_record(
        action="credit_note.requested",
        actor=actor,
        target=credit_note,
        customer_id=invoice.customer_id,
        changes={"invoice": invoice.number, "amount": str(amount)},
        message=credit_note.reason,
    )


def credit_note_issued(*, actor: User | None, credit_note: CreditNote, invoice: Invoice) -> None:
    """The refund went through: `invoice` already counts the credit note in its credited total."""
    audit_record(
        action="credit_note.issued",
        actor=actor,
        target=credit_note,
        customer_id=credit_note.customer_id,
        changes={
            "number": credit_note.number,
            "invoice": invoice.number,
            "refunded": str(credit_note.total),
            "credited": [
                str(Money(invoice.credited_minor - credit_note.total_minor, invoice.currency)),
                str(invoice.credited),
            ],
        },
        message=credit_note.reason,
    )


def credit_note_cancelled(*, actor: User | None, credit_note: CreditNote, message: str) -> None:
    """The refund was refused: the draft is cancelled, `message` says why."""
    audit_record(
        action="credit_note.cancelled",
        actor=actor,
        target=credit_note,
        customer_id=credit_note.customer_id,
        outcome=Outcome.FAILURE,
        message=message,
    )


def credit_note_pdf_generated(*, credit_note: CreditNote, stored: StoredPdf) -> None:
    audit_record(
        action="credit_note.pdf_generated",
        target=credit_note,
        customer_id=credit_note.customer_id,
        changes={"pdf_sha256": stored.sha256, "bytes": stored.size},
        message=f"{credit_note.number}: {stored.path}",
    )


def credit_note_notified(*, credit_note: CreditNote, notification: Notification) -> None:
    audit_record(
        action="credit_note.notified",
        target=credit_note,
        customer_id=credit_note.customer_id,
        changes={"notification": notification.pk, "channels": notification.channels},
        message=f"{credit_note.number} sent to {', '.join(notification.channels)}",
    )
