"""Refunds by staff: money back through the gateway, recorded as a numbered credit note.

1. With the invoice locked, a DRAFT credit note reserves the refund: its amount, split into net
   and tax per rate of the invoice's lines (the rates it was issued at, never today's), its
   lines, and its refund key "invoice:<number>:refund:<k>". One draft per invoice at a time, so a
   second click cannot send a second refund while the first is unconfirmed.
2. Outside any transaction, payments' payment_refund sends it (it commits its own record first).
3. Gone through: the credit note takes its number (gap-free, CN-2026-000001) and is ISSUED, the
   invoice's credited total grows, audited; its PDF and notice follow in a worker. Refused: the
   draft is cancelled. No answer: the draft stays, and `credit_notes_draft_resume` sends it
   again with the same key (the gateway pays a key out once).

A refund made in the payment provider's dashboard comes the other way: payments records it from
Stripe's webhook, and `invoice_refund_recorded` issues its credit note at once.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from onboarding.accounts.models import User
from onboarding.alerts.services import admin_alert_raise
from onboarding.billing import events
from onboarding.billing.models import (
    CreditNote,
    CreditNoteLine,
    CreditNoteStatus,
    Invoice,
    InvoiceStatus,
)
from onboarding.billing.numbering import CREDIT_NOTE_SERIES, numbers_take
from onboarding.core import clock
from onboarding.core.cardmask import mask_card_numbers
from onboarding.core.errors import Conflict, DomainError, Forbidden
from onboarding.core.money import Money
from onboarding.core.roles import STAFF_ROLES
from onboarding.payments.models import PaymentRefund, RefundStatus
from onboarding.payments.refunds import payment_refund
from onboarding.tax.models import percent_of
from onboarding.tax.wording import tax_name_text


def net_of_gross(gross_minor: int, rate_bp: int) -> int:
    """The net part of a gross amount at a tax rate, rounded half up."""
    quotient, remainder = divmod(gross_minor * 10000, 10000 + rate_bp)
    return quotient + (remainder * 2 >= 10000 + rate_bp)


@dataclass(frozen=True, slots=True)
class _Part:
    """What a refund gives back at one of the invoice's rates."""

    rate_bp: int
    net_minor: int
    tax_minor: int


def _left_by_rate(invoice: Invoice) -> dict[int, tuple[int, int]]:
    """Per rate of the invoice's lines: (net, tax) not yet given back by issued credit notes."""
    left: dict[int, tuple[int, int]] = {}
    for net, rate, tax in invoice.lines.values_list("amount_minor", "tax_rate_bp", "tax_minor"):
        had_net, had_tax = left.get(rate, (0, 0))
        left[rate] = (had_net + net, had_tax + tax)
    credited = CreditNoteLine.objects.filter(
        credit_note__invoice=invoice, credit_note__status=CreditNoteStatus.ISSUED
    ).values_list("tax_rate_bp", "amount_minor", "tax_minor")
    for rate, net, tax in credited:
        had_net, had_tax = left.get(rate, (0, 0))
        left[rate] = (had_net - net, had_tax - tax)
    return left


def _split(invoice: Invoice, amount: Money) -> list[_Part]:
    """The refund per rate of the invoice's lines, at those rates whatever the table says now.

    The last refund takes exactly what is left at each rate, so the credit notes of an invoice
    always add up to its own net and tax. A partial one is shared between the rates in
    proportion to what is left at each (the remainder of the division to the highest rate),
    and each share is split into net and tax at its own rate."""
    left = {rate: nt for rate, nt in _left_by_rate(invoice).items() if nt[0] + nt[1] > 0}
    if amount.amount_minor == invoice.total_minor - invoice.credited_minor:
        return [_Part(rate, net, tax) for rate, (net, tax) in sorted(left.items(), reverse=True)]
    gross_left = sum(net + tax for net, tax in left.values())
    rates = sorted(left, reverse=True)
    shares = {rate: amount.amount_minor * sum(left[rate]) // gross_left for rate in rates[1:]}
    shares[rates[0]] = amount.amount_minor - sum(shares.values())
    parts = []
    for rate in rates:
        net = net_of_gross(shares[rate], rate)
        if shares[rate]:
            parts.append(_Part(rate, net, shares[rate] - net))
    return parts


def _reserve(*, invoice: Invoice, actor: User, amount: Money | None, reason: str) -> CreditNote:
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status != InvoiceStatus.PAID or locked.paid_attempt_id is None:
            raise Conflict(gettext("Only a paid invoice can be refunded."), field="amount")
        if locked.credit_notes.filter(status=CreditNoteStatus.DRAFT).exists():
            raise Conflict(
                gettext(
                    "A refund on this invoice is still being confirmed with the payment provider. "
                    "Wait for it before refunding more."
                ),
                field="amount",
            )
        left = locked.refundable
        amount = amount if amount is not None else left
        if amount.currency != locked.currency:
            raise DomainError(
                gettext("Refund in {currency}.").format(currency=locked.currency), field="amount"
            )
        if amount.amount_minor <= 0:
            raise DomainError(gettext("Enter an amount above zero."), field="amount")
        if amount.amount_minor > left.amount_minor:
            raise DomainError(
                gettext("At most {left} is left to refund on this invoice.").format(left=left),
                field="amount",
            )
        sequence = locked.credit_notes.count() + 1
        credit_note = _draft_create(
            invoice=locked,
            amount=amount,
            reason=reason,
            refund_key=f"invoice:{locked.number}:refund:{sequence}",
            actor=actor,
        )
        events.credit_note_requested(
            actor=actor, credit_note=credit_note, invoice=locked, amount=amount
        )
    return credit_note


def _draft_create(
    *, invoice: Invoice, amount: Money, reason: str, refund_key: str, actor: User | None
) -> CreditNote:
    """A draft credit note of `amount` on the locked `invoice`, with its lines per rate."""
    parts = _split(invoice, amount)
    credit_note = CreditNote.objects.create(
        invoice=invoice,
        customer_id=invoice.customer_id,
        currency=invoice.currency,
        subtotal_minor=sum(part.net_minor for part in parts),
        tax_minor=sum(part.tax_minor for part in parts),
        total_minor=amount.amount_minor,
        reason=reason,
        refund_key=refund_key,
        created_by=actor,
        language=invoice.customer.language,
    )
    # The lines are written with the draft: they hold the split at the invoice's rates until
    # the refund goes through (a cancelled draft's lines count for nothing).
    # In the credit note's language: its PDF shows the line.
    with translation.override(credit_note.language):
        description = gettext("Refund on invoice {number}: {reason}").format(
            number=invoice.number, reason=reason
        )
        tax_name = tax_name_text(invoice.tax_name)
        rates = {part.rate_bp: percent_of(part.rate_bp) for part in parts}
    CreditNoteLine.objects.bulk_create(
        CreditNoteLine(
            credit_note=credit_note,
            description=(
                f"{description} ({tax_name} {rates[part.rate_bp]})"
                if len(parts) > 1
                else description
            )[:255],
            amount_minor=part.net_minor,
            tax_rate_bp=part.rate_bp,
            tax_minor=part.tax_minor,
        )
        for part in parts
    )
    return credit_note


def _issue(*, credit_note: CreditNote, refund: PaymentRefund, actor: User | None) -> CreditNote:
    """Number and issue a draft whose refund went through (idempotent)."""
    today = clock.now().date()
    with transaction.atomic():
        credit_note = CreditNote.objects.select_for_update().get(pk=credit_note.pk)
        if credit_note.status != CreditNoteStatus.DRAFT:
            return credit_note
        invoice = Invoice.objects.select_for_update().get(pk=credit_note.invoice_id)
        credit_note.move_to(CreditNoteStatus.ISSUED)
        [(value, number)] = numbers_take(series=CREDIT_NOTE_SERIES, year=today.year, count=1)
        credit_note.number_year, credit_note.number_seq = today.year, value
        credit_note.number = number
        credit_note.issue_date, credit_note.issued_at = today, clock.now()
        credit_note.refund, credit_note.followup_due = refund, True
        credit_note.save()
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
        # payments' refusals are lazy: the credit note and the audit log keep them in English;
        # the refusal raised on stays lazy, read in the language of whoever shows it.
        with translation.override("en"):
            stored = str(refused.message)
        sent = PaymentRefund.objects.filter(idempotency_key=credit_note.refund_key).first()
        if sent is None or sent.status == RefundStatus.FAILED:
            _cancel(credit_note=credit_note, actor=actor, message=stored)
        raise  # still pending (no answer): the draft stays, to be sent again with its key
    return _issue(credit_note=credit_note, refund=refund, actor=actor)


def invoice_refund(
    *, invoice: Invoice, actor: User, amount: Money | None = None, reason: str
) -> CreditNote:
    """Give back all (amount None) or part of a paid invoice; returns the issued credit note."""
    if getattr(actor, "role", None) not in STAFF_ROLES or not actor.is_active:
        raise Forbidden(gettext("Only staff can refund an invoice."))
    # The reason is printed on the credit note and mailed: a card number keeps its last four.
    reason = mask_card_numbers(" ".join((reason or "").split()))
    if not 3 <= len(reason) <= 500:
        raise DomainError(gettext("Say why, in 3 to 500 characters."), field="reason")
    credit_note = _reserve(invoice=invoice, actor=actor, amount=amount, reason=reason)
    credit_note.invoice = Invoice.objects.select_related("paid_attempt").get(pk=invoice.pk)
    return _send(credit_note=credit_note, actor=actor)


def credit_notes_draft_resume(*, now: datetime | None = None) -> list[int]:
    """Send again the refunds whose answer never came (drafts older than ten minutes), with
    their own keys; returns the ids of the credit notes issued."""
    now = now or clock.now()
    issued = []
    drafts = CreditNote.objects.filter(
        clock.customer_scope("invoice__customer"),
        status=CreditNoteStatus.DRAFT,
        created_at__lt=now - timedelta(minutes=10),
    ).select_related("invoice__paid_attempt", "created_by")
    for credit_note in drafts:
        try:
            issued.append(_send(credit_note=credit_note, actor=credit_note.created_by).pk)
        except DomainError:
            continue  # cancelled, or still without an answer: both are recorded and alerted
    return issued


OUTSIDE_REASON = "Refunded through the payment provider's dashboard"


def invoice_refund_recorded(*, refund_id: int) -> CreditNote | None:
    """A refund made outside the product (payments recorded it from Stripe's webhook and
    published `payment.refunded_outside`): issue its credit note on the invoice it paid.

    Idempotent (the credit note's refund key is the refund's own). Runs in the caller's
    transaction. None when the payment paid no invoice. More than the invoice has left to
    refund is credited up to what is left, and an admin is alerted about the difference.
    """
    refund = PaymentRefund.objects.select_related("attempt").get(pk=refund_id)
    existing = CreditNote.objects.filter(refund_key=refund.idempotency_key).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update().filter(paid_attempt_id=refund.attempt_id).first()
        )
        if invoice is None:
            return None
        left = invoice.refundable
        amount = Money(min(refund.amount_minor, left.amount_minor), invoice.currency)
        if amount.amount_minor < refund.amount_minor:
            admin_alert_raise(
                reason="refund_beyond_invoice",
                message=(
                    f"{refund.amount} was refunded on invoice {invoice.number} in the payment "
                    f"provider's dashboard, but only {left} was left to credit. Check it by hand."
                ),
                target=invoice,
                customer_id=invoice.customer_id,
            )
        if amount.amount_minor <= 0:
            return None
        credit_note = _draft_create(
            invoice=invoice,
            amount=amount,
            reason=OUTSIDE_REASON,
            refund_key=refund.idempotency_key,
            actor=None,
        )
        events.credit_note_requested(
            actor=None, credit_note=credit_note, invoice=invoice, amount=amount
        )
        return _issue(credit_note=credit_note, refund=refund, actor=None)
