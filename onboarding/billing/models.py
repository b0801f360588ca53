from datetime import timedelta

from django.db import models
from django.urls import reverse
from django.utils import timezone

from onboarding.accounts.models import Customer
from onboarding.billing.states import (  # noqa: F401  (re-exported: the models' vocabulary)
    CREDIT_NOTE_MOVES,
    INVOICE_BADGES,
    INVOICE_MOVES,
    LIVE_STATUSES,
    PAYABLE_STATUSES,
    PAYMENT_FAILED,
    PAYMENT_IN_FLIGHT,
    SUBSCRIPTION_MOVES,
    AttemptSource,
    CreditNoteStatus,
    InvoiceStatus,
    PaymentState,
    RetryStop,
    SubscriptionStatus,
)
from onboarding.billing.taxes import TaxSummaryRow, tax_summary
from onboarding.catalog.models import BillingCycle, Plan
from onboarding.core.access import access_rule
from onboarding.core.money import Money
from onboarding.core.roles import STAFF_ROLES
from onboarding.core.transitions import check_move
from onboarding.payments.decline_texts import customer_text
from onboarding.tax.models import percent_of
from onboarding.tax.wording import tax_label_text, tax_mention_text


@access_rule(owner="customer__user", staff=STAFF_ROLES)
class Subscription(models.Model):
    """A customer's purchase of a plan, billed per cycle. The price is kept as bought."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="subscriptions")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(
        max_length=12, choices=SubscriptionStatus.choices, default=SubscriptionStatus.PENDING
    )
    cycle = models.CharField(max_length=16, choices=BillingCycle.choices)
    # A cycle change takes effect when the next period starts.
    pending_cycle = models.CharField(max_length=16, choices=BillingCycle.choices, blank=True)
    amount_minor = models.PositiveBigIntegerField(
        help_text="Net price of one unit per cycle, as bought."
    )
    currency = models.CharField(max_length=3)
    # The customer's rate as last decided (at purchase, then by each invoice), to show the price
    # with tax; invoices never read it: each decides its own on its issue date.
    tax_rate_bp = models.PositiveIntegerField()
    purchased_at = models.DateTimeField()
    # The day periods start from; it never changes (periods are counted from it).
    billing_anchor = models.DateTimeField()
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    next_invoice_at = models.DateTimeField(db_index=True)
    cancel_at_period_end = models.BooleanField(default=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The first time an invoice of this subscription was paid: the contract follows it.
    first_paid_at = models.DateTimeField(null=True, blank=True)
    # How many of the plan's units (seats, devices, sites) are billed; each costs amount_minor.
    quantity = models.PositiveIntegerField(default=1)
    # A downgrade (or a quantity decrease) takes effect when the next period starts.
    pending_plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pending_quantity = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "plan"],
                condition=models.Q(status__in=["pending", "active", "past_due"]),
                name="one_live_subscription_per_customer_plan",
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_invoice_at"], name="sub_due_idx"),
            # The bill run's claim walks this in order and stops after a batch, whatever the
            # number of subscriptions due (ties on the day broken by id).
            models.Index(
                fields=["next_invoice_at", "id"],
                condition=models.Q(status__in=["pending", "active", "past_due"]),
                name="sub_live_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.plan.name} ({self.get_cycle_display()})"

    @property
    def unit_price(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def price(self) -> Money:
        """Net per period: the unit price times the quantity."""
        return Money(self.amount_minor * self.quantity, self.currency)

    @property
    def has_scheduled_change(self) -> bool:
        return self.pending_plan_id is not None or self.pending_quantity is not None

    @property
    def tax(self) -> Money:
        return self.price.percentage(self.tax_rate_bp)

    @property
    def price_with_tax(self) -> Money:
        return self.price + self.tax

    @property
    def cycle_prices(self) -> list[tuple[str, str, Money]]:
        """(cycle, label, price with tax) for each cycle its plan is sold with in the
        subscription's currency, from the plan's prefetched prices: the cycles it may move to."""
        return [
            (
                price.cycle,
                price.get_cycle_display(),
                price.amount + price.amount.percentage(self.tax_rate_bp),
            )
            for price in self.plan.prices_in(self.currency)
        ]

    def move_to(self, status: str) -> None:
        """Change status, refusing any move SUBSCRIPTION_MOVES does not allow."""
        check_move(
            SUBSCRIPTION_MOVES, self.status, status, what="subscription", states=SubscriptionStatus
        )
        self.status = status


# --- Invoices and credit notes ----------------------------------------------------------------


class DocumentSequence(models.Model):
    """The last number used in one series and year. Locked while numbers are taken, so numbers
    are sequential and gap-free: a rolled-back transaction gives its numbers back."""

    series = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="one_sequence_per_series_year")
        ]

    def __str__(self) -> str:
        return f"{self.series}-{self.year}: {self.last_value}"


def document_number(series: str, year: int, value: int) -> str:
    return f"{series}-{year}-{value:06d}"


class InvoiceQuerySet(models.QuerySet["Invoice"]):
    def finalized(self) -> "InvoiceQuerySet":
        return self.exclude(status=InvoiceStatus.DRAFT)

    def payable(self) -> "InvoiceQuerySet":
        return self.filter(status__in=PAYABLE_STATUSES)

    def retry_due(self, now) -> "InvoiceQuerySet":
        return self.filter(
            status=InvoiceStatus.OPEN, payment_state__in=PAYMENT_FAILED, next_retry_at__lte=now
        )


@access_rule(owner="customer__user", staff=STAFF_ROLES)
class Invoice(models.Model):
    """What a customer owes for one subscription period. Once finalized (numbered and open) its
    amounts, lines, dates and addressee never change: a correction is a credit note."""

    # Set when the invoice is finalized and never changed afterwards.
    FROZEN_FIELDS = frozenset(
        {
            "customer_id",
            "subscription_id",
            "series",
            "number",
            "number_year",
            "number_seq",
            "currency",
            "tax_rate_bp",
            "subtotal_minor",
            "tax_minor",
            "total_minor",
            "period_start",
            "period_end",
            "issue_date",
            "due_date",
            "bill_to_name",
            "bill_to_address",
            "bill_to_email",
            "bill_to_vat_number",
            "customer_reference",
            "tax_country",
            "tax_name",
            "reverse_charge",
            "tax_mention",
            "seller_vat_number",
            "language",
        }
    )

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, related_name="invoices"
    )
    status = models.CharField(
        max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    series = models.CharField(max_length=8, default="INV")
    number = models.CharField(max_length=32, unique=True, null=True, blank=True)
    number_year = models.PositiveSmallIntegerField(null=True, blank=True)
    number_seq = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    tax_rate_bp = models.PositiveIntegerField()
    subtotal_minor = models.BigIntegerField()
    tax_minor = models.BigIntegerField()
    total_minor = models.BigIntegerField()
    credited_minor = models.BigIntegerField(
        default=0, help_text="Total of the credit notes issued against this invoice."
    )
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    finalized_at = models.DateTimeField(null=True, blank=True)
    # The addressee as it was when the invoice was issued.
    bill_to_name = models.CharField(max_length=200)
    bill_to_address = models.TextField(blank=True)
    bill_to_email = models.EmailField(max_length=254, blank=True)
    bill_to_vat_number = models.CharField("VAT number", max_length=20, blank=True)
    customer_reference = models.CharField(max_length=20)
    # The tax decision as it was on the issue date (tax/selectors.tax_for): a later change of
    # rate or of the customer's country never alters it.
    # Database defaults too: rows written by plain SQL (the bench's floor) stay valid.
    tax_country = models.CharField(max_length=2, blank=True, default="", db_default="")
    tax_name = models.CharField(max_length=40, default="VAT", db_default="VAT")
    reverse_charge = models.BooleanField(default=False, db_default=False)
    tax_mention = models.CharField(max_length=300, blank=True, default="", db_default="")
    seller_vat_number = models.CharField(
        "seller's VAT number", max_length=20, blank=True, default="", db_default=""
    )
    # The language it was issued in (the customer's then): its PDF and mail, re-sends too.
    language = models.CharField(max_length=8, default="en", db_default="en")
    # The subscription's first invoice: its issue and payment move the onboarding journey.
    is_first = models.BooleanField(default=False)

    payment_state = models.CharField(
        max_length=16, choices=PaymentState.choices, default=PaymentState.NONE
    )
    # Attempt n is charged with the key "invoice:<number>:attempt:<n>".
    attempt_count = models.PositiveSmallIntegerField(default=0)
    attempt_source = models.CharField(max_length=10, choices=AttemptSource.choices, blank=True)
    attempt_reserved_at = models.DateTimeField(null=True, blank=True)
    last_payment_code = models.CharField(max_length=64, blank=True)
    last_payment_message = models.CharField(max_length=255, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_attempt = models.ForeignKey(
        "payments.PaymentAttempt",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Dunning: retries counted from the first failure, on settings.BILLING_DUNNING_DAYS.
    first_failed_at = models.DateTimeField(null=True, blank=True)
    dunning_retries = models.PositiveSmallIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    # Why no retry is booked though the invoice is open and failed (a hard decline).
    retry_stopped = models.CharField(
        max_length=16, choices=RetryStop.choices, blank=True, default="", db_default=""
    )
    uncollectible_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    # The document and the notices, produced by a worker after the invoice is finalized.
    pdf_path = models.CharField(max_length=255, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_generated_at = models.DateTimeField(null=True, blank=True)
    issue_notified_at = models.DateTimeField(null=True, blank=True)
    # The attempt whose outcome the customer (and, on failure, an admin) has been told of.
    notified_attempt = models.PositiveSmallIntegerField(default=0)
    followup_due = models.BooleanField(default=False)
    # Follow-ups that failed in a row, and the time before which the dispatcher leaves the
    # invoice alone: a broken one is retried with a backoff, not every pass (followups.py).
    followup_failures = models.PositiveIntegerField(default=0)
    followup_not_before = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period_start"], name="one_invoice_per_period"
            ),
            models.UniqueConstraint(
                fields=["series", "number_year", "number_seq"],
                condition=models.Q(number_seq__isnull=False),
                name="one_invoice_per_number",
            ),
            models.CheckConstraint(
                condition=models.Q(total_minor=models.F("subtotal_minor") + models.F("tax_minor")),
                name="invoice_total_is_subtotal_plus_tax",
            ),
            models.CheckConstraint(
                condition=models.Q(subtotal_minor__gte=0, tax_minor__gte=0),
                name="invoice_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(credited_minor__lte=models.F("total_minor")),
                name="invoice_credited_at_most_total",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(number__isnull=False),
                name="finalized_invoice_has_number",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-id"], name="invoice_customer_idx"),
            models.Index(fields=["status", "-id"], name="invoice_status_idx"),
            models.Index(
                fields=["next_retry_at"],
                condition=models.Q(next_retry_at__isnull=False),
                name="invoice_retry_due_idx",
            ),
            models.Index(
                fields=["id"],
                condition=models.Q(followup_due=True),
                name="invoice_followup_due_idx",
            ),
            models.Index(
                fields=["attempt_reserved_at"],
                condition=models.Q(payment_state="processing"),
                name="invoice_processing_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft invoice {self.pk}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and self._finalized_before():
            # A finalized invoice is only ever saved field by field, never its frozen fields.
            fields = kwargs.get("update_fields")
            if fields is None or self.FROZEN_FIELDS & {
                self._meta.get_field(name).attname for name in fields
            }:
                raise ImmutableInvoice(f"invoice {self} is finalized: {fields or 'all fields'}")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("billing:staff_invoice", args=[self.pk])

    def _finalized_before(self) -> bool:
        stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
        return stored not in (None, InvoiceStatus.DRAFT)

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
    def credited(self) -> Money:
        return Money(self.credited_minor, self.currency)

    @property
    def money_country(self) -> str:
        """The country the invoice's money is written for, as its PDF writes it: the customer's
        as frozen at issue (their billing country today for an invoice that has none)."""
        return self.tax_country or str(self.customer.country or "")

    @property
    def refundable(self) -> Money:
        """What a credit note can still give back: paid and not yet credited."""
        if self.status != InvoiceStatus.PAID:
            return Money.zero(self.currency)
        return Money(self.total_minor - self.credited_minor, self.currency)

    @property
    def badge(self) -> str:
        return INVOICE_BADGES[self.status]

    @property
    def is_payable(self) -> bool:
        return self.status in PAYABLE_STATUSES and self.payment_state not in (
            *PAYMENT_IN_FLIGHT,
            PaymentState.ACTION_REQUIRED,  # confirmed on its own page, not charged again
        )

    @property
    def tax_rate_percent(self) -> str:
        return percent_of(self.tax_rate_bp)

    @property
    def tax_label(self) -> str:
        """ "VAT 19%", or "VAT 0% (reverse charge)": the decision the invoice was issued with, in
        the active language (the stored name is the rates table's English code)."""
        return tax_label_text(self.tax_name, self.tax_rate_bp, self.reverse_charge)

    @property
    def tax_mention_text(self) -> str:
        """The legal mention in the active language; `tax_mention` keeps the English."""
        return tax_mention_text(self.tax_mention)

    @property
    def payment_failure_text(self) -> str:
        """Why the last payment failed, for the customer in the active language;
        `last_payment_message` keeps the gateway's English for staff and the logs."""
        return customer_text(self.last_payment_code, self.last_payment_message)

    @property
    def tax_summary(self) -> list[TaxSummaryRow]:
        """Per rate: the nets of the lines at that rate and their taxes (uses lines.all(), so a
        prefetch serves it)."""
        return tax_summary(
            ((line.amount_minor, line.tax_rate_bp, line.tax_minor) for line in self.lines.all()),
            currency=self.currency,
            name=self.tax_name,
            reverse_charge=self.reverse_charge,
        )

    @property
    def period_last_day(self):
        """The period's last day, as people write it: the day before the next period starts."""
        return self.period_end.date() - timedelta(days=1)

    @property
    def bill_to_lines(self) -> list[str]:
        return [line for line in self.bill_to_address.splitlines() if line]

    @property
    def bill_to_email_line(self) -> str:
        """The billing address's email, unless it is the name already shown above it (a
        customer with neither company nor name is billed under their email address)."""
        if self.bill_to_email.casefold() == self.bill_to_name.strip().casefold():
            return ""
        return self.bill_to_email

    def move_to(self, status: str) -> None:
        """Change status in memory, refusing any move INVOICE_MOVES does not allow."""
        check_move(INVOICE_MOVES, self.status, status, what="invoice", states=InvoiceStatus)
        self.status = status


class ImmutableInvoice(Exception):
    """A programming error: code tried to change a finalized invoice's amounts or identity."""


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=1)
    description = models.CharField(max_length=255)
    quantity = models.PositiveIntegerField(default=1)
    unit_amount_minor = models.BigIntegerField()
    amount_minor = models.BigIntegerField(help_text="Net: quantity times unit amount.")
    tax_rate_bp = models.PositiveIntegerField(
        default=0, db_default=0, help_text="In basis points: 1900 is 19%."
    )
    tax_minor = models.BigIntegerField(help_text="The net at the line's rate, rounded half up.")
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    amount_minor=models.F("quantity") * models.F("unit_amount_minor")
                ),
                name="invoice_line_amount_is_quantity_times_unit",
            )
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def unit_amount(self) -> Money:
        return Money(self.unit_amount_minor, self.invoice.currency)

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.invoice.currency)

    @property
    def tax(self) -> Money:
        return Money(self.tax_minor, self.invoice.currency)

    @property
    def tax_rate_percent(self) -> str:
        return percent_of(self.tax_rate_bp)


class BillRun(models.Model):
    """The bill run for one day: counters every process that shares the run adds to."""

    run_date = models.DateField(unique=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    passes = models.PositiveIntegerField(default=0, help_text="Processes that ran it.")
    invoices_issued = models.PositiveIntegerField(default=0)
    charges_sent = models.PositiveIntegerField(default=0)
    paid = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-run_date"]

    def __str__(self) -> str:
        return f"Bill run {self.run_date}"


# --- Plan changes ------------------------------------------------------------------------------


class PlanChangeStatus(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", "Awaiting payment"
    APPLIED = "applied", "Applied"
    DECLINED = "declined", "Declined: not changed"
    # A change scheduled for the period's end that the renewal could not make (its plan lost
    # its price or left the catalogue): the subscription renewed on its current terms.
    NOT_APPLIED = "not_applied", "Not applied: renewed unchanged"


@access_rule(owner="subscription__customer__user", staff=STAFF_ROLES)
class PlanChange(models.Model):
    """A change of plan or quantity that takes effect at once, and the proration invoice that
    pays for it: the subscription changes only when that invoice is paid (plan_changes.py).
    Changes scheduled for the period's end live on the subscription (pending_plan/quantity);
    one the renewal cannot make is recorded here as NOT_APPLIED, with its reason
    (scheduled_changes.py)."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, related_name="plan_changes"
    )
    invoice = models.OneToOneField(
        Invoice, on_delete=models.PROTECT, related_name="plan_change", null=True, blank=True
    )
    status = models.CharField(max_length=20, choices=PlanChangeStatus.choices)
    from_plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    to_plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    from_quantity = models.PositiveIntegerField()
    to_quantity = models.PositiveIntegerField()
    # The new unit price for the subscription's cycle, as quoted.
    to_amount_minor = models.PositiveBigIntegerField()
    # A move to a longer cycle now: the cycle and the stretched period's end it brings.
    to_cycle = models.CharField(max_length=16, choices=BillingCycle.choices, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    effective_at = models.DateTimeField(help_text="The moment the proration counts from.")
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Why a scheduled change was not applied, in words for the customer.
    reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription"],
                condition=models.Q(status="awaiting_payment"),
                name="one_plan_change_awaiting_payment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id}: {self.from_plan_id}x{self.from_quantity} -> " + (
            f"{self.to_plan_id}x{self.to_quantity} ({self.status})"
        )


# The credit notes live in their own module (one job per file); imported here so the app's
# models are all found, and `from onboarding.billing.models import CreditNote` keeps working.
from onboarding.billing.credit_note_models import CreditNote, CreditNoteLine  # noqa: E402, F401
from onboarding.billing.hold_models import DunningHold  # noqa: E402, F401
