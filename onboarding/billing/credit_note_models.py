"""Credit notes: corrections of finalized invoices, with their own numbers, lines and PDFs."""

from django.db import models
from django.utils import timezone

from onboarding.accounts.models import Customer
from onboarding.billing.states import CREDIT_NOTE_MOVES, CreditNoteStatus
from onboarding.billing.taxes import TaxSummaryRow, tax_summary
from onboarding.core.access import access_rule
from onboarding.core.money import Money
from onboarding.core.roles import STAFF_ROLES
from onboarding.core.transitions import check_move
from onboarding.tax.models import percent_of


@access_rule(owner="customer__user", staff=STAFF_ROLES)
class CreditNote(models.Model):
    """A correction of a finalized invoice: money given back, with its own number and PDF."""

    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="credit_notes"
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="credit_notes")
    status = models.CharField(
        max_length=10, choices=CreditNoteStatus.choices, default=CreditNoteStatus.DRAFT
    )
    series = models.CharField(max_length=8, default="CN")
    number = models.CharField(max_length=32, unique=True, null=True, blank=True)
    number_year = models.PositiveSmallIntegerField(null=True, blank=True)
    number_seq = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    subtotal_minor = models.BigIntegerField()
    tax_minor = models.BigIntegerField()
    total_minor = models.BigIntegerField()
    reason = models.CharField(max_length=500)
    # The language it is issued in (the customer's then): its PDF and mail, re-sends too.
    language = models.CharField(max_length=8, default="en", db_default="en")
    refund_key = models.CharField(max_length=128, unique=True)
    refund = models.ForeignKey(
        "payments.PaymentRefund", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    failure_message = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    issue_date = models.DateField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    pdf_path = models.CharField(max_length=255, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_generated_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    followup_due = models.BooleanField(default=False)
    # As on Invoice: the follow-up's failures in a row and when the dispatcher may queue it again.
    followup_failures = models.PositiveIntegerField(default=0)
    followup_not_before = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "number_year", "number_seq"],
                condition=models.Q(number_seq__isnull=False),
                name="one_credit_note_per_number",
            ),
            models.CheckConstraint(
                condition=models.Q(total_minor=models.F("subtotal_minor") + models.F("tax_minor")),
                name="credit_note_total_is_subtotal_plus_tax",
            ),
            models.CheckConstraint(
                condition=models.Q(total_minor__gt=0), name="credit_note_total_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "cancelled"])
                | models.Q(number__isnull=False),
                name="issued_credit_note_has_number",
            ),
        ]
        indexes = [
            models.Index(
                fields=["id"], condition=models.Q(followup_due=True), name="cn_followup_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft credit note {self.pk}"

    @property
    def subtotal(self) -> Money:
        return Money(self.subtotal_minor, self.currency)

    @property
    def tax(self) -> Money:
        return Money(self.tax_minor, self.currency)

    @property
    def total(self) -> Money:
        return Money(self.total_minor, self.currency)

    @property
    def tax_summary(self) -> list[TaxSummaryRow]:
        """Per rate, as on the invoice it corrects: the rates its lines were issued at."""
        return tax_summary(
            ((line.amount_minor, line.tax_rate_bp, line.tax_minor) for line in self.lines.all()),
            currency=self.currency,
            name=self.invoice.tax_name,
            reverse_charge=self.invoice.reverse_charge,
        )

    def move_to(self, status: str) -> None:
        """Change status in memory, refusing any move CREDIT_NOTE_MOVES does not allow."""
        check_move(
            CREDIT_NOTE_MOVES, self.status, status, what="credit note", states=CreditNoteStatus
        )
        self.status = status


class CreditNoteLine(models.Model):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    description = models.CharField(max_length=255)
    amount_minor = models.BigIntegerField(help_text="Net.")
    # The rate of the invoice lines this line gives back, whatever the rate is today.
    tax_rate_bp = models.PositiveIntegerField(
        default=0, db_default=0, help_text="In basis points: 1900 is 19%."
    )
    tax_minor = models.BigIntegerField()

    class Meta:
        ordering = ["credit_note", "id"]

    def __str__(self) -> str:
        return self.description

    @property
    def tax_rate_percent(self) -> str:
        return percent_of(self.tax_rate_bp)
