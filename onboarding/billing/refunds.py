"""Refunds by staff: money back through the gateway, recorded as a numbered credit note.

1. With the invoice locked, a DRAFT credit note reserves the refund: its amount (net and tax)
   and its refund key "invoice:<number>:refund:<k>". One draft per invoice at a time, so a
   second click cannot send a second refund while the first is unconfirmed.
2. Outside any transaction, payments' payment_refund sends it (it commits its own record first).
3. Gone through: the credit note takes its number (gap-free, CN-2026-000001) and is ISSUED, the
   invoice's credited total grows, audited; its PDF and notice follow in a worker. Refused: the
   draft is cancelled. No answer: the draft stays, and `credit_notes_draft_resume` sends it
   again with the same key (the gateway pays a key out once).
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from onboarding.accounts.models import User
from onboarding.billing import events
from onboarding.billing.models import (
    CreditNote,
    CreditNoteLine,
    CreditNoteStatus,
    Invoice,
    InvoiceStatus,
)
from onboarding.billing.numbering import CREDIT_NOTE_SERIES, numbers_take
from onboarding.core.cardmask import mask_card_numbers
from onboarding.core.errors import Conflict, DomainError, Forbidden
from onboarding.core.money import Money
from onboarding.core.roles import STAFF_ROLES
from onboarding.payments.models import PaymentRefund, RefundStatus
from onboarding.payments.refunds import payment_refund


def net_of_gross(gross_minor: int, rate_bp: int) -> int:
    """The net part of a gross amount at a tax rate, rounded half up."""
    quotient, remainder = divmod(gross_minor * 10000, 10000 + rate_bp)
    return quotient + (remainder * 2 >= 10000 + rate_bp)


def _split(invoice: Invoice, amount: Money) -> tuple[int, int]:
    """(net, tax) of a refund. The last refund takes exactly what is left of each, so the
    credit notes of an invoice always add up to its own net and tax."""
    if amount.amount_minor == invoice.total_minor - invoice.credited_minor:
        issued = invoice.credit_notes.filter(status=CreditNoteStatus.ISSUED)
        credited_net = sum(issued.values_list("subtotal_minor", flat=True))
        credited_tax = sum(issued.values_list("tax_minor", flat=True))
        return invoice.subtotal_minor - credited_net, invoice.tax_minor - credited_tax
    net = net_of_gross(amount.amount_minor, invoice.tax_rate_bp)
    return net, amount.amount_minor - net


def _reserve(*, invoice: Invoice, actor: User, amount: Money | None, reason: str) -> CreditNote:
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status != InvoiceStatus.PAID or locked.paid_attempt_id is None:
            raise Conflict("Only a paid invoice can be refunded.", field="amount")
        if locked.credit_notes.filter(status=CreditNoteStatus.DRAFT).exists():
            raise Conflict(
                "A refund on this invoice is still being confirmed with the payment provider. "
                "Wait for it before refunding more.",
                field="amount",
            )
        left = locked.refundable
        amount = amount if amount is not None else left
        if amount.currency != locked.currency:
            raise DomainError(f"Refund in {locked.currency}.", field="amount")
        if amount.amount_minor <= 0:
            raise DomainError("Enter an amount above zero.", field="amount")
        if amount.amount_minor > left.amount_minor:
            raise DomainError(f"At most {left} is left to refund on this invoice.", field="amount")
        net, tax = _split(locked, amount)
        sequence = locked.credit_notes.count() + 1
        credit_note = CreditNote.objects.create(
            invoice=locked,
            customer_id=locked.customer_id,
            currency=locked.currency,
            subtotal_minor=net,
            tax_minor=tax,
            total_minor=amount.amount_minor,
            reason=reason,
            refund_key=f"invoice:{locked.number}:refund:{sequence}",
            created_by=actor,
        )
        events.credit_note_requested(
            actor=actor, credit_note=credit_note, invoice=locked, amount=amount
        )
    return credit_note


def _issue(*, credit_note: CreditNote, refund: PaymentRefund, actor: User | None) -> CreditNote:
    """Number and issue a draft whose refund went through (idempotent)."""
    today = timezone.now().date()
    with transaction.atomic():
        credit_note = CreditNote.objects.select_for_update().get(pk=credit_note.pk)
        if credit_note.status != CreditNoteStatus.DRAFT:
            return credit_note
        invoice = Invoice.objects.select_for_update().get(pk=credit_note.invoice_id)
        credit_note.move_to(CreditNoteStatus.ISSUED)
        [(value, number)] = numbers_take(series=CREDIT_NOTE_SERIES, year=today.year, count=1)
        credit_note.number_year, credit_note.number_seq = today.year, value
        credit_note.number = number
        credit_note.issue_date, credit_note.issued_at = today, timezone.now()
        credit_note.refund, credit_note.followup_due = refund, True
        credit_note.save()
        CreditNoteLine.objects.create(
            credit_note=credit_note,
            description=f"Refund on invoice {invoice.number}: {credit_note.reason}"[:255],
            amount_minor=credit_note.subtotal_minor,
            tax_minor=credit_note.tax_minor,
        )
        invoice.credited_minor += credit_note.total_minor
        invoice.save(update_fields=["credited_minor"])
        events.credit_note_issued(actor=actor, credit_note=credit_note, invoice=invoice)
    return credit_note


def _cancel(*, credit_note: CreditNote, actor: User | None, message: str) -> None:
    with transaction.atomic():
        credit_note = CreditNote.objects.select_for_update().get(pk=credit_note.pk)
        if credit_note.status != CreditNoteStatus.DRAFT:
            return
        credit_note.move_to(CreditNoteStatus.CANCELLED)
        credit_note.failure_message = message[:255]
        credit_note.save(update_fields=["status", "failure_message"])
        events.credit_note_cancelled(actor=actor, credit_note=credit_note, message=message)


def _send(*, credit_note: CreditNote, actor: User) -> CreditNote:
    invoice = credit_note.invoice
    try:
        refund = payment_refund(
            attempt=invoice.paid_attempt,
            amount=credit_note.total,
            actor=actor,
            idempotency_key=credit_note.refund_key,
        )
    except DomainError as refused:
        sent = PaymentRefund.objects.filter(idempotency_key=credit_note.refund_key).first()
        if sent is None or sent.status == RefundStatus.FAILED:
            _cancel(credit_note=credit_note, actor=actor, message=refused.message)
        raise  # still pending (no answer): the draft stays, to be sent again with its key
    return _issue(credit_note=credit_note, refund=refund, actor=actor)


def invoice_refund(
    *, invoice: Invoice, actor: User, amount: Money | None = None, reason: str
) -> CreditNote:
    """Give back all (amount None) or part of a paid invoice; returns the issued credit note."""
    if getattr(actor, "role", None) not in STAFF_ROLES or not actor.is_active:
        raise Forbidden("Only staff can refund an invoice.")
    # The reason is printed on the credit note and mailed: a card number keeps its last four.
    reason = mask_card_numbers(" ".join((reason or "").split()))
    if not 3 <= len(reason) <= 500:
        raise DomainError("Say why, in 3 to 500 characters.", field="reason")
    credit_note = _reserve(invoice=invoice, actor=actor, amount=amount, reason=reason)
    credit_note.invoice = Invoice.objects.select_related("paid_attempt").get(pk=invoice.pk)
    return _send(credit_note=credit_note, actor=actor)


def credit_notes_draft_resume(*, now: datetime | None = None) -> list[int]:
    """Send again the refunds whose answer never came (drafts older than ten minutes), with
    their own keys; returns the ids of the credit notes issued."""
    now = now or timezone.now()
    issued = []
    drafts = CreditNote.objects.filter(
        status=CreditNoteStatus.DRAFT, created_at__lt=now - timedelta(minutes=10)
    ).select_related("invoice__paid_attempt", "created_by")
    for credit_note in drafts:
        try:
            issued.append(_send(credit_note=credit_note, actor=credit_note.created_by).pk)
        except DomainError:
            continue  # cancelled, or still without an answer: both are recorded and alerted
    return issued
