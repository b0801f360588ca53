from datetime import date, datetime

from django.urls import reverse
from ninja import Schema
from pydantic import Field

from onboarding.billing.models import (
    PAYABLE_STATUSES,
    CreditNote,
    Invoice,
    PaymentState,
    Subscription,
)
from onboarding.billing.taxes import TaxSummaryRow
from onboarding.core.schemas import MoneyOut, deprecated
from onboarding.payments.models import PaymentDispute


class PurchaseIn(Schema):
    plan: str = Field(..., min_length=1, max_length=120, description="The plan's slug")
    cycle: str = Field(..., min_length=1, max_length=16, description="monthly, quarterly or annual")
    currency: str | None = Field(
        None,
        min_length=3,
        max_length=3,
        description=(
            "ISO 4217 code of a first purchase (EUR if left out). A customer's currency is fixed "
            "at their first purchase: leave it out afterwards, or give that same currency."
        ),
    )


class CycleIn(Schema):
    cycle: str = Field(..., min_length=1, max_length=16)


class SubscriptionOut(Schema):
    id: int
    plan: str
    plan_name: str
    status: str
    cycle: str
    pending_cycle: str
    amount_minor: int = Field(..., json_schema_extra=deprecated("amount.amount_minor"))
    tax_minor: int = Field(..., json_schema_extra=deprecated("tax.amount_minor"))
    currency: str
    amount: MoneyOut = Field(..., description="Net, per cycle")
    tax: MoneyOut
    purchased_at: datetime
    next_invoice_at: datetime
    quantity: int = Field(..., description="Units billed; amount is the unit price x quantity")
    pending_plan: str | None = Field(None, description="A plan scheduled from the next period")
    pending_quantity: int | None = Field(None, description="A quantity from the next period")

    @staticmethod
    def of(subscription: Subscription) -> "SubscriptionOut":
        return SubscriptionOut(
            id=subscription.pk,
            plan=subscription.plan.slug,
            plan_name=subscription.plan.name,
            status=subscription.status,
            cycle=subscription.cycle,
            pending_cycle=subscription.pending_cycle,
            amount_minor=subscription.amount_minor,
            tax_minor=subscription.tax.amount_minor,
            currency=subscription.currency,
            amount=subscription.price,
            tax=subscription.tax,
            purchased_at=subscription.purchased_at,
            next_invoice_at=subscription.next_invoice_at,
            quantity=subscription.quantity,
            pending_plan=subscription.pending_plan.slug if subscription.pending_plan else None,
            pending_quantity=subscription.pending_quantity,
        )


class InvoiceLineOut(Schema):
    description: str
    quantity: int
    unit_amount_minor: int = Field(..., json_schema_extra=deprecated("unit_amount.amount_minor"))
    amount_minor: int = Field(..., json_schema_extra=deprecated("amount.amount_minor"))
    tax_minor: int = Field(..., json_schema_extra=deprecated("tax.amount_minor"))
    unit_amount: MoneyOut
    amount: MoneyOut = Field(..., description="Net: quantity times unit amount")
    tax_rate_bp: int = Field(..., description="The line's rate in basis points (1900 is 19%)")
    tax: MoneyOut = Field(..., description="The net at the line's rate, rounded half up")


class TaxSummaryOut(Schema):
    """One rate of the invoice: the nets of its lines at that rate and their taxes."""

    rate_bp: int
    label: str = Field(..., description='"VAT 19%", or "VAT 0% (reverse charge)"')
    net: MoneyOut
    tax: MoneyOut

    @staticmethod
    def of(row: TaxSummaryRow) -> "TaxSummaryOut":
        return TaxSummaryOut(rate_bp=row.rate_bp, label=row.label, net=row.net, tax=row.tax)


class CreditNoteOut(Schema):
    id: int
    number: str | None
    status: str
    total_minor: int = Field(..., json_schema_extra=deprecated("total.amount_minor"))
    currency: str
    total: MoneyOut
    reason: str
    issue_date: date | None

    @staticmethod
    def of(note: CreditNote) -> "CreditNoteOut":
        return CreditNoteOut(
            id=note.pk,
            number=note.number,
            status=note.status,
            total_minor=note.total_minor,
            currency=note.currency,
            total=note.total,
            reason=note.reason,
            issue_date=note.issue_date,
        )


class InvoiceDisputeOut(Schema):
    """A dispute (chargeback) the customer's bank opened on the charge that paid the invoice."""

    outcome: str = Field(
        ...,
        description='"open", "won" (the payment stands), "lost" (the bank took the money back) '
        'or "closed" (an inquiry that never became a chargeback)',
    )
    status: str = Field(..., description="The payment provider's own status of the dispute")
    amount: MoneyOut
    reason: str = Field(..., description='As the bank gave it: "fraudulent", "duplicate" ...')
    opened_at: datetime
    closed_at: datetime | None

    @staticmethod
    def of(dispute: PaymentDispute | None) -> "InvoiceDisputeOut | None":
        if dispute is None:
            return None
        return InvoiceDisputeOut(
            outcome=dispute.outcome,
            status=dispute.status,
            amount=dispute.amount,
            reason=dispute.reason,
            opened_at=dispute.opened_at,
            closed_at=dispute.closed_at,
        )


class InvoiceSummaryOut(Schema):
    id: int
    number: str
    status: str
    payment_state: str = Field(
        ...,
        description='The latest charge: "none", "processing", "pending", "succeeded", '
        '"declined", "failed", or "action_required" (the bank asks the customer to confirm the '
        "payment, at `confirm_url`; no retry charges it meanwhile)",
    )
    subscription_id: int
    currency: str
    subtotal_minor: int = Field(..., json_schema_extra=deprecated("subtotal.amount_minor"))
    tax_minor: int = Field(..., json_schema_extra=deprecated("tax.amount_minor"))
    tax_rate_bp: int = Field(..., description="The rate decided on the issue date")
    tax_country: str = Field(..., description="The billing country the tax was decided for")
    reverse_charge: bool = Field(..., description="0%: the customer accounts for the VAT")
    tax_mention: str = Field(..., description="The legal mention printed on the invoice")
    bill_to_vat_number: str
    seller_vat_number: str
    total_minor: int = Field(..., json_schema_extra=deprecated("total_money.amount_minor"))
    # The formatted string holds the name `total`, so its object is `total_money`.
    total: str = Field(..., json_schema_extra=deprecated("total_money.display"))
    credited_minor: int = Field(..., json_schema_extra=deprecated("credited.amount_minor"))
    subtotal: MoneyOut
    tax: MoneyOut
    total_money: MoneyOut
    credited: MoneyOut = Field(..., description="Given back by credit notes")
    period_start: datetime
    period_end: datetime
    issue_date: date | None
    due_date: date | None
    paid_at: datetime | None
    payable: bool
    last_payment_message: str
    next_retry_at: datetime | None
    retry_stopped: str = Field(
        "",
        description='Why no retry is booked though the payment failed: "hard_decline" (the bank'
        " refuses this card for good: add a new card, which is charged at once),"
        ' "manager_decision" (dunning ended while the service is in trouble: a manager decides'
        " between past due and more time), else empty",
    )
    dispute: InvoiceDisputeOut | None = Field(
        None, description="The dispute of the payment, open or closed; null when none"
    )
    confirm_url: str | None = Field(
        None,
        description="While the payment state is action_required: the page (for the signed-in "
        "customer) where they confirm the payment with their bank; else null",
    )

    @staticmethod
    def fields_of(invoice: Invoice, dispute: PaymentDispute | None = None) -> dict:
        return {
            "id": invoice.pk,
            "number": invoice.number,
            "status": invoice.status,
            "payment_state": invoice.payment_state,
            "subscription_id": invoice.subscription_id,
            "currency": invoice.currency,
            "subtotal_minor": invoice.subtotal_minor,
            "tax_minor": invoice.tax_minor,
            "tax_rate_bp": invoice.tax_rate_bp,
            "tax_country": invoice.tax_country,
            "reverse_charge": invoice.reverse_charge,
            "tax_mention": invoice.tax_mention,
            "bill_to_vat_number": invoice.bill_to_vat_number,
            "seller_vat_number": invoice.seller_vat_number,
            "total_minor": invoice.total_minor,
            "total": str(invoice.total),
            "credited_minor": invoice.credited_minor,
            "subtotal": invoice.subtotal,
            "tax": invoice.tax,
            "total_money": invoice.total,
            "credited": invoice.credited,
            "period_start": invoice.period_start,
            "period_end": invoice.period_end,
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "paid_at": invoice.paid_at,
            "payable": invoice.is_payable,
            # In the caller's Accept-Language; the record keeps the gateway's English.
            "last_payment_message": invoice.payment_failure_text,
            "next_retry_at": invoice.next_retry_at,
            "retry_stopped": invoice.retry_stopped,
            "dispute": InvoiceDisputeOut.of(dispute),
            "confirm_url": (
                reverse("billing:invoice_confirm", args=[invoice.pk])
                if invoice.payment_state == PaymentState.ACTION_REQUIRED
                and invoice.status in PAYABLE_STATUSES
                else None
            ),
        }

    @staticmethod
    def of(invoice: Invoice, dispute: PaymentDispute | None = None) -> "InvoiceSummaryOut":
        return InvoiceSummaryOut(**InvoiceSummaryOut.fields_of(invoice, dispute))


class InvoiceDetailOut(InvoiceSummaryOut):
    bill_to_name: str
    bill_to_address: list[str]
    lines: list[InvoiceLineOut]
    tax_summary: list[TaxSummaryOut]
    credit_notes: list[CreditNoteOut]

    @staticmethod
    def of(invoice: Invoice, dispute: PaymentDispute | None = None) -> "InvoiceDetailOut":
        return InvoiceDetailOut(
            **InvoiceSummaryOut.fields_of(invoice, dispute),
            bill_to_name=invoice.bill_to_name,
            bill_to_address=invoice.bill_to_lines,
            lines=[
                InvoiceLineOut(
                    description=line.description,
                    quantity=line.quantity,
                    unit_amount_minor=line.unit_amount_minor,
                    amount_minor=line.amount_minor,
                    tax_minor=line.tax_minor,
                    unit_amount=line.unit_amount,
                    amount=line.amount,
                    tax_rate_bp=line.tax_rate_bp,
                    tax=line.tax,
                )
                for line in invoice.lines.all()
            ],
            tax_summary=[TaxSummaryOut.of(row) for row in invoice.tax_summary],
            credit_notes=[CreditNoteOut.of(note) for note in invoice.credit_notes.all()],
        )


class StaffInvoiceOut(InvoiceSummaryOut):
    customer_id: int
    customer_reference: str
    bill_to_name: str
    attempt_count: int

    @staticmethod
    def of(invoice: Invoice, dispute: PaymentDispute | None = None) -> "StaffInvoiceOut":
        return StaffInvoiceOut(
            **InvoiceSummaryOut.fields_of(invoice, dispute),
            customer_id=invoice.customer_id,
            customer_reference=invoice.customer_reference,
            bill_to_name=invoice.bill_to_name,
            attempt_count=invoice.attempt_count,
        )


class RefundIn(Schema):
    amount_minor: int | None = Field(
        None, gt=0, le=10**12, description="Minor units; leave out to refund everything left"
    )
    reason: str = Field(..., min_length=3, max_length=500)


class VoidIn(Schema):
    reason: str = Field(..., min_length=3, max_length=500)


class DunningDecisionIn(Schema):
    """A manager's decision on an invoice whose dunning waits for one."""

    decision: str = Field(..., max_length=16, description="past_due or extend")
    # The range (1 to 30) is the service's rule, refused with field "days".
    days: int | None = Field(
        None, ge=-(10**6), le=10**6, description="extend: the next retry is this many days ahead"
    )


# --- Plan changes ------------------------------------------------------------------------------


class PlanChangeIn(Schema):
    plan: str = Field(..., min_length=1, max_length=120, description="The new plan's slug")
    quantity: int = Field(1, ge=0, le=1_000_000, description="Units of the new plan")


class PlanChangeLineOut(Schema):
    description: str
    amount: MoneyOut = Field(..., description="Net; negative for the credit")
    tax: MoneyOut
    period_start: datetime
    period_end: datetime


class PlanChangeQuoteOut(Schema):
    when: str = Field(..., description="now (prorated, charged at once) or period_end")
    effective_at: datetime
    plan: str
    quantity: int
    unit_amount: MoneyOut
    lines: list[PlanChangeLineOut]
    subtotal: MoneyOut
    tax: MoneyOut
    total: MoneyOut = Field(..., description="Charged now with the card on file")

    @staticmethod
    def of(quote) -> "PlanChangeQuoteOut":
        return PlanChangeQuoteOut(
            when=quote.when,
            effective_at=quote.at,
            plan=quote.plan.slug,
            quantity=quote.quantity,
            unit_amount=quote.unit_amount,
            lines=[
                PlanChangeLineOut.model_validate(line, from_attributes=True) for line in quote.lines
            ],
            subtotal=quote.subtotal,
            tax=quote.tax,
            total=quote.total,
        )


class PlanChangeOut(Schema):
    status: str = Field(..., description="scheduled, applied, awaiting_payment or declined")
    invoice_number: str | None
    quote: PlanChangeQuoteOut
    subscription: SubscriptionOut
