"""Contracts: one per subscription term, its numbered documents, acceptances and reminders.

Rows here hold data and the invariants of one row. The workflows are in a module per stage:
issuing.py, documents.py, delivery.py, acknowledgement.py and lifecycle.py (amend, renew, cancel,
expire).
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from onboarding.accounts.models import Customer
from onboarding.billing.models import Subscription
from onboarding.catalog.models import BillingCycle, Plan
from onboarding.core import clock
from onboarding.core.access import access_rule
from onboarding.core.errors import Conflict
from onboarding.core.money import Money
from onboarding.core.roles import STAFF_ROLES
from onboarding.core.transitions import check_move, move_allowed
from onboarding.tax.wording import tax_label_text


class ContractState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    SENT = "sent", _("Sent")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ACTIVE = "active", _("Active")
    EXPIRING = "expiring", _("Expiring")
    EXPIRED = "expired", _("Expired")
    RENEWED = "renewed", _("Renewed")
    CANCELLED = "cancelled", _("Cancelled")


S = ContractState
# Every allowed move, in one place; Contract.move_to refuses anything else.
#   issued: numbered, its document being generated (the customer sees "pending")
#   sent: the document was delivered; it waits for the customer's acknowledgement
#   acknowledged -> active once the term has started (at once for a first term)
#   an amendment (a new document version) goes back to issued and needs a new acknowledgement
#   renewed: the next term's contract exists; this one runs to its end and is done
CONTRACT_MOVES: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.ISSUED, S.CANCELLED}),
    S.ISSUED: frozenset({S.SENT, S.CANCELLED}),
    S.SENT: frozenset({S.ACKNOWLEDGED, S.ISSUED, S.EXPIRING, S.EXPIRED, S.RENEWED, S.CANCELLED}),
    S.ACKNOWLEDGED: frozenset({S.ACTIVE, S.ISSUED, S.EXPIRING, S.EXPIRED, S.RENEWED, S.CANCELLED}),
    S.ACTIVE: frozenset({S.ISSUED, S.EXPIRING, S.EXPIRED, S.RENEWED, S.CANCELLED}),
    S.EXPIRING: frozenset({S.ISSUED, S.EXPIRED, S.RENEWED, S.CANCELLED}),
    S.EXPIRED: frozenset({S.RENEWED}),
    S.RENEWED: frozenset(),
    S.CANCELLED: frozenset(),
}
# A contract in force: it counts toward expiry, gets reminders and can be renewed or cancelled.
IN_FORCE_STATES = (S.SENT, S.ACKNOWLEDGED, S.ACTIVE, S.EXPIRING)
# States whose terms an amendment changes with a new document version: in force, or issued
# (its latest version still being made or delivered; the new one supersedes it).
AMENDABLE_STATES = (S.ISSUED, *IN_FORCE_STATES)
# States in which the customer can acknowledge the current document.
ACKNOWLEDGEABLE_STATES = IN_FORCE_STATES
FINAL_STATES = (S.RENEWED, S.CANCELLED)
# The badge colour (static/css/app.css) each state is shown with.
STATE_BADGES = {
    S.DRAFT: "pending",
    S.ISSUED: "pending",
    S.SENT: "open",
    S.ACKNOWLEDGED: "green",
    S.ACTIVE: "green",
    S.EXPIRING: "warning",
    S.EXPIRED: "red",
    S.RENEWED: "",
    S.CANCELLED: "red",
}


class ContractQuerySet(models.QuerySet["Contract"]):
    def in_force(self) -> "ContractQuerySet":
        return self.filter(state__in=IN_FORCE_STATES)

    def expiring_within(self, *, days: int, now=None) -> "ContractQuerySet":
        now = now or clock.now()
        return self.filter(term_end__gt=now, term_end__lte=now + timedelta(days=days))


@access_rule(owner="customer__user", staff=STAFF_ROLES)
class Contract(models.Model):
    """The contract for one term of a subscription. Commercial terms are copied in at creation,
    so a later change to the plan or price never rewrites a contract already made."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="contracts")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, related_name="contracts"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="contracts")
    term_index = models.PositiveSmallIntegerField(help_text="1 for the first term, then 2, ...")
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_term",
        help_text="The contract of the term this one renews.",
    )
    number = models.CharField(max_length=20, blank=True, help_text="Given when issued.")
    state = models.CharField(max_length=12, choices=ContractState.choices, default=S.DRAFT)
    term_start = models.DateTimeField()
    term_end = models.DateTimeField()
    term_months = models.PositiveSmallIntegerField()
    # Commercial terms as sold, copied from the subscription and the plan.
    cycle = models.CharField(max_length=16, choices=BillingCycle.choices)
    amount_minor = models.PositiveBigIntegerField(help_text="Net price per cycle.")
    currency = models.CharField(max_length=3)
    tax_rate_bp = models.PositiveIntegerField()
    # The tax decision taken with the rate (tax.selectors.tax_for), kept with it: the document
    # states the treatment, and a later change of the customer's country or VAT number never
    # rewrites a contract already made. Database defaults: contracts made before keep working.
    tax_country = models.CharField(max_length=2, blank=True, default="", db_default="")
    tax_name = models.CharField(max_length=40, default="VAT", db_default="VAT")
    reverse_charge = models.BooleanField(default=False, db_default=False)
    customer_vat_number = models.CharField(
        "customer's VAT number", max_length=20, blank=True, default="", db_default=""
    )
    seller_vat_number = models.CharField(
        "seller's VAT number", max_length=20, blank=True, default="", db_default=""
    )
    product_name = models.CharField(max_length=120)
    plan_name = models.CharField(max_length=120)
    service_terms = models.JSONField(
        default=dict, help_text="tier, summary, response_time_hours, includes (list)"
    )
    created_at = models.DateTimeField(default=timezone.now)
    issued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    service_ends_at = models.DateTimeField(
        null=True, blank=True, help_text="When a cancelled contract's service stops."
    )
    # The language it is issued in (the customer's then): its documents, certificate and mail
    # are written in it, whatever the customer's language is later. Older rows: English.
    language = models.CharField(max_length=8, default="en", db_default="en")
    # Documents: the version that must exist, and the last one delivered.
    document_version_wanted = models.PositiveSmallIntegerField(default=0)
    delivered_version = models.PositiveSmallIntegerField(default=0)
    # Shown to the customer (why the PDF was not emailed); staff also see the last error.
    delivery_note = models.CharField(max_length=500, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    failures = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContractQuerySet.as_manager()

    class Meta:
        ordering = ["-term_start", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "term_index"], name="one_contract_per_subscription_term"
            ),
            models.UniqueConstraint(
                fields=["number"], condition=~models.Q(number=""), name="unique_contract_number"
            ),
            models.CheckConstraint(
                condition=models.Q(term_end__gt=models.F("term_start")),
                name="contract_term_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "term_end"], name="contract_state_end_idx"),
            models.Index(fields=["term_end"], name="contract_term_end_idx"),
        ]

    def __str__(self) -> str:
        return self.number or f"Contract #{self.pk} (not numbered)"

    def get_absolute_url(self) -> str:
        # The staff page: alerts and the audit log link here.
        return reverse("contracts_staff:detail", args=[self.pk])

    # --- state ---

    def can_move_to(self, state: str) -> bool:
        return move_allowed(CONTRACT_MOVES, self.state, state)

    def move_to(self, state: str) -> None:
        """Change state, refusing any move CONTRACT_MOVES does not allow."""
        check_move(CONTRACT_MOVES, self.state, state, what="contract", states=ContractState)
        self.state = state

    @property
    def state_badge(self) -> str:
        return STATE_BADGES[ContractState(self.state)]

    @property
    def is_in_force(self) -> bool:
        return self.state in IN_FORCE_STATES

    # --- money ---

    @property
    def price(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def tax(self) -> Money:
        return self.price.percentage(self.tax_rate_bp)

    @property
    def price_with_tax(self) -> Money:
        return self.price + self.tax

    @property
    def money_country(self) -> str:
        """The country the contract's money is written for: the customer's as the contract took
        its tax (their billing country today for a contract made before contracts kept it)."""
        return self.tax_country or str(self.customer.country or "")

    @property
    def tax_label(self) -> str:
        """ "VAT 19%", or "VAT 0% (reverse charge)", as invoices name it, in the active language
        ("USt. 19%")."""
        return tax_label_text(self.tax_name, self.tax_rate_bp, self.reverse_charge)

    # --- time, computed on every read so it is never stale ---

    @property
    def response_time_hours(self) -> int | None:
        """The first-response time the contract promises, from its terms snapshot; None when the
        snapshot holds no whole number of hours (a page then leaves the line out)."""
        value = (self.service_terms or {}).get("response_time_hours")
        if isinstance(value, bool):
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    @property
    def age(self) -> timedelta | None:
        """How long since the contract was issued; None before it is."""
        return clock.now() - self.issued_at if self.issued_at else None

    @property
    def issued_on(self) -> date | None:
        """The day the contract was issued, in the business time zone; None before it is."""
        return timezone.localdate(self.issued_at) if self.issued_at else None

    def days_since_issue(self, *, today: date | None = None) -> int | None:
        """Calendar days from the issue date to today, both in the business time zone: the one
        rule for a contract's age, as `days_left` is for what remains. None before issue."""
        issued_on = self.issued_on
        return ((today or clock.localdate()) - issued_on).days if issued_on else None

    @property
    def age_days(self) -> int | None:
        return self.days_since_issue()

    @property
    def ends_on(self) -> date:
        """The term's end date in the business time zone (settings.TIME_ZONE), as pages show it."""
        return timezone.localdate(self.term_end)

    def days_left(self, *, today: date | None = None) -> int:
        """Calendar days from today to the term's end date, both in the business time zone
        (settings.TIME_ZONE): 0 on the day the term ends, negative after. The one rule for
        "days left": the customer's and the staff's contract pages, the SysOps customer view
        and the API all show this number."""
        return (self.ends_on - (today or clock.localdate())).days

    def service_end_if_cancelled(self, *, now: datetime | None = None) -> datetime:
        """When service stops if the contract is cancelled at `now`: the end of the period
        already paid for (the subscription's current period), and never before `now`."""
        now = now or clock.now()
        return max(self.subscription.current_period_end or now, now)

    # --- documents (use with prefetch_related("documents") to avoid a query per row) ---

    @property
    def current_document(self) -> "ContractDocument | None":
        if not self.document_version_wanted:
            return None
        for document in self.documents.all():
            if document.version == self.document_version_wanted:
                return document
        return None

    @property
    def is_document_pending(self) -> bool:
        """The customer sees "pending" until the wanted version's PDF exists."""
        return self.current_document is None


class ContractSequence(models.Model):
    """The last contract number given in a year; its row is locked while a number is taken, so
    numbers are gap-free (a rolled-back issue rolls back its number too)."""

    year = models.PositiveSmallIntegerField(unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class ImmutableRow(models.Model):
    """A row that is written once and never changed (documents, acceptances, templates)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise Conflict(
                gettext("A %(row)s cannot be changed once stored.")
                % {"row": self._meta.verbose_name}
            )
        super().save(*args, **kwargs)


@access_rule(owner=None, staff=STAFF_ROLES)
class ContractTemplate(ImmutableRow):
    """A version of the contract's layout: a Django template (HTML) and its stylesheet.

    A restyle is a new version; documents keep the version they were rendered with. Each
    language has its own versions (the legal text translated); the newest version of the
    contract's language is the one its new documents use.
    """

    language = models.CharField(max_length=8, default="en", db_default="en")
    version = models.PositiveIntegerField()
    html = models.TextField(help_text="Django template source; see docs/contracts.md.")
    css = models.TextField(blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["language", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["language", "version"], name="one_contract_template_per_language_version"
            )
        ]

    def __str__(self) -> str:
        return f"Contract template {self.language} v{self.version}"


@access_rule(owner="contract__customer__user", staff=STAFF_ROLES)
class ContractDocument(ImmutableRow):
    """One rendered version of a contract: the PDF in default storage and its SHA-256."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="documents")
    version = models.PositiveSmallIntegerField()
    template = models.ForeignKey(ContractTemplate, on_delete=models.PROTECT, related_name="+")
    storage_path = models.CharField(max_length=300)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["contract", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "version"], name="one_document_per_contract_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract} v{self.version}"

    @property
    def filename(self) -> str:
        return f"{self.contract.number or 'contract'}-v{self.version}.pdf"


@access_rule(owner="contract__customer__user", staff=STAFF_ROLES)
class ContractAcceptance(ImmutableRow):
    """The customer's acknowledgement of one exact document: who, when, from where, and what."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="acceptances")
    document = models.OneToOneField(
        ContractDocument, on_delete=models.PROTECT, related_name="acceptance"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    typed_name = models.CharField(max_length=200)
    accepted_at = models.DateTimeField(default=timezone.now)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    document_sha256 = models.CharField(max_length=64)
    # The language version acknowledged (its template's language; the hash above is its PDF's).
    language = models.CharField(max_length=8, default="en", db_default="en")

    class Meta:
        ordering = ["-accepted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.contract} v{self.document.version} accepted by {self.typed_name}"

    @property
    def reference(self) -> str:
        return f"ACK-{self.pk:06d}"


@access_rule(owner="acceptance__contract__customer__user", staff=STAFF_ROLES)
class ContractCertificate(ImmutableRow):
    """The certificate of an acceptance as the worker rendered it: the PDF in default storage
    and its SHA-256. A download serves this file and never renders one itself."""

    acceptance = models.OneToOneField(
        ContractAcceptance, on_delete=models.PROTECT, related_name="certificate"
    )
    storage_path = models.CharField(max_length=300)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Certificate of {self.acceptance_id}"


@access_rule(owner=None, staff=STAFF_ROLES)
class ContractReminder(models.Model):
    """One expiry reminder sent for a contract (N days before its end); unique, so sent once."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="reminders")
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["contract", "-days_before"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "days_before"], name="one_reminder_per_contract_offset"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract}: {self.days_before} days"
