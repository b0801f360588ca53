import calendar
import datetime as dt

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy

from onboarding.core import clock
from onboarding.core.access import access_rule
from onboarding.core.money import Money
from onboarding.core.roles import STAFF_ROLES
from onboarding.core.transitions import check_move, move_allowed
from onboarding.payments.gateways.base import ChargeResult, ChargeStatus

# --- The sandbox gateway's own side -----------------------------------------------------------
# These tables stand for the payment provider's records when PAYMENT_GATEWAY=sandbox. The product
# never reads them; only onboarding.payments.gateways.sandbox does.


class SandboxCard(models.Model):
    token = models.CharField(max_length=64, unique=True)
    customer_reference = models.CharField(max_length=64)
    behaviour = models.CharField(max_length=32, default="ok")
    brand = models.CharField(max_length=16)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.brand} •••• {self.last4}"


class SandboxCharge(models.Model):
    charge_id = models.CharField(max_length=64, unique=True)
    idempotency_key = models.CharField(max_length=128, unique=True)
    token = models.CharField(max_length=64)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=[(s.value, s.value) for s in ChargeStatus])
    code = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.charge_id} {self.status}"

    def result(self) -> ChargeResult:
        return ChargeResult(
            status=ChargeStatus(self.status),
            gateway_charge_id=(
                self.charge_id
                if self.status in (ChargeStatus.SUCCEEDED, ChargeStatus.REQUIRES_ACTION)
                else ""
            ),
            code=self.code,
            message=DECLINE_MESSAGES.get(self.code, ""),
        )

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


class SandboxRefund(models.Model):
    refund_id = models.CharField(max_length=64, unique=True)
    charge = models.ForeignKey(SandboxCharge, on_delete=models.CASCADE, related_name="refunds")
    idempotency_key = models.CharField(max_length=128, unique=True)
    amount_minor = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.refund_id


class SandboxFault(models.Model):
    """A fault armed on demand: the next `remaining` calls of `operation` fail as `kind`."""

    operation = models.CharField(
        max_length=16,
        choices=[("tokenize", "tokenize"), ("charge", "charge"), ("lookup", "lookup")],
    )
    kind = models.CharField(max_length=32)
    remaining = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.operation}: {self.kind} x{self.remaining}"


DECLINE_MESSAGES = {
    "card_declined": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
    "lost_card": "Your bank reports this card as lost.",
    "stolen_card": "Your bank reports this card as stolen.",
    "do_not_honor": "Your bank declined the payment.",
    "do_not_honor/do_not_try_again": "Your bank declined the payment: the card cannot be used.",
    "try_again_later": "Your bank asks us to try again later.",
    "processing_error": "The payment provider had a processing error.",
    "invalid_token": "The card on file is no longer valid.",
    "authentication_required": "Your bank asks you to confirm this payment.",
    "payment_intent_authentication_failure": "The payment was not confirmed with your bank.",
}


class PaymentMethodStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REPLACED = "replaced", "Replaced"


@access_rule(owner="customer__user", staff=STAFF_ROLES)
class PaymentMethod(models.Model):
    """A card on file: the gateway's token, brand, last four digits and expiry. Never the number."""

    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.PROTECT, related_name="payment_methods"
    )
    gateway = models.CharField(max_length=16)
    token = models.CharField(max_length=128)
    brand = models.CharField(max_length=16)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=10, choices=PaymentMethodStatus.choices, default=PaymentMethodStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    replaced_at = models.DateTimeField(null=True, blank=True)
    expiry_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(status="active"),
                name="one_active_card_per_customer",
            )
        ]
        indexes = [models.Index(fields=["exp_year", "exp_month"], name="card_expiry_idx")]

    def __str__(self) -> str:
        # English whatever the reader's language: the audit log records this text.
        return (
            f"{self.brand.title()} •••• {self.last4} (expires {self.exp_month:02d}/{self.exp_year})"
        )

    @property
    def description(self) -> str:
        """The card as its owner reads it, in the active language (docs/i18n.md)."""
        return gettext("{brand} •••• {last4} (expires {month:02d}/{year})").format(
            brand=self.brand.title(), last4=self.last4, month=self.exp_month, year=self.exp_year
        )

    @property
    def expires_on(self) -> dt.date:
        return dt.date(
            self.exp_year, self.exp_month, calendar.monthrange(self.exp_year, self.exp_month)[1]
        )

    @property
    def expires_soon(self) -> bool:
        return self.expires_within(30)

    def expires_within(self, days: int, *, today: dt.date | None = None) -> bool:
        today = today or clock.now().date()
        return self.expires_on < today + dt.timedelta(days=days)


# --- Charges and refunds ----------------------------------------------------------------------


class PaymentStatus(models.TextChoices):
    # Labels in the reader's language: the staff pages and the customer view show them.
    PENDING = "pending", pgettext_lazy("payment status", "Pending")
    SUCCEEDED = "succeeded", pgettext_lazy("payment status", "Succeeded")
    DECLINED = "declined", pgettext_lazy("payment status", "Declined")
    FAILED = "failed", pgettext_lazy("payment status", "Failed")
    UNKNOWN = "unknown", pgettext_lazy("payment status", "Unknown")
    # The bank asks the customer to confirm the charge (SCA): open, waiting for the customer.
    REQUIRES_ACTION = (
        "requires_action",
        pgettext_lazy("payment status", "Waiting for the customer's confirmation"),
    )


# Every allowed move, in one place. PENDING: recorded, not yet answered. UNKNOWN: sent, answer lost;
# only the reconciler (or a later answer to the same key) settles it. The other three are final.
PAYMENT_MOVES: dict[str, frozenset[str]] = {
    PaymentStatus.PENDING: frozenset(
        {
            PaymentStatus.SUCCEEDED,
            PaymentStatus.DECLINED,
            PaymentStatus.FAILED,
            PaymentStatus.UNKNOWN,
            PaymentStatus.REQUIRES_ACTION,
        }
    ),
    PaymentStatus.UNKNOWN: frozenset(
        {
            PaymentStatus.SUCCEEDED,
            PaymentStatus.DECLINED,
            PaymentStatus.FAILED,
            PaymentStatus.REQUIRES_ACTION,
        }
    ),
    # The customer confirms (succeeded), the bank or Stripe refuses it later (declined, failed),
    # or the confirmed charge is still processing at the bank (unknown).
    PaymentStatus.REQUIRES_ACTION: frozenset(
        {
            PaymentStatus.SUCCEEDED,
            PaymentStatus.DECLINED,
            PaymentStatus.FAILED,
            PaymentStatus.UNKNOWN,
        }
    ),
    PaymentStatus.SUCCEEDED: frozenset(),
    PaymentStatus.DECLINED: frozenset(),
    PaymentStatus.FAILED: frozenset(),
}
PAYMENT_SETTLED = frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.DECLINED, PaymentStatus.FAILED})
PAYMENT_OPEN = frozenset({PaymentStatus.PENDING, PaymentStatus.UNKNOWN})


@access_rule(owner="customer__user", staff=STAFF_ROLES)
class PaymentAttempt(models.Model):
    """One charge sent (or about to be sent) to the gateway under one idempotency key.

    The row is committed as PENDING before the gateway is called, so a crash leaves evidence,
    and the key is unique, so the same key can never charge twice. No token, no card number.
    """

    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.PROTECT, related_name="payment_attempts"
    )
    payment_method = models.ForeignKey(
        PaymentMethod, on_delete=models.PROTECT, related_name="attempts", null=True, blank=True
    )
    invoice_reference = models.CharField(max_length=64, blank=True, db_index=True)
    description = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=128, unique=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    code = models.CharField(max_length=64, blank=True)
    message = models.CharField(max_length=255, blank=True)
    gateway = models.CharField(max_length=16)
    gateway_charge_id = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)
    reconcile_attempts = models.PositiveSmallIntegerField(default=0)
    # When the reconciler should next ask the gateway; null once settled.
    next_reconcile_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_reconcile_at"],
                name="payment_reconcile_due_idx",
                condition=models.Q(status__in=["pending", "unknown"]),
            ),
            models.Index(fields=["customer", "-created_at"], name="payment_customer_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="payment_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.status} ({self.invoice_reference or self.idempotency_key})"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def is_settled(self) -> bool:
        return self.status in PAYMENT_SETTLED

    def can_move_to(self, status: str) -> bool:
        return move_allowed(PAYMENT_MOVES, self.status, status)

    def move_to(self, status: str) -> None:
        """Change status in memory, refusing any move PAYMENT_MOVES does not list."""
        check_move(PAYMENT_MOVES, self.status, status, what="payment", states=PaymentStatus)
        self.status = status


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


@access_rule(owner="attempt__customer__user", staff=STAFF_ROLES)
class PaymentRefund(models.Model):
    """Money given back on a succeeded payment. A pending refund already counts against what is
    left, so two refunds at once can never give back more than was paid."""

    attempt = models.ForeignKey(PaymentAttempt, on_delete=models.PROTECT, related_name="refunds")
    idempotency_key = models.CharField(max_length=128, unique=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=10, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    gateway_refund_id = models.CharField(max_length=128, blank=True)
    code = models.CharField(max_length=64, blank=True)
    message = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="refund_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return f"refund {self.amount} {self.status}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


@access_rule(owner="attempt__customer__user", staff=STAFF_ROLES)
class PaymentDispute(models.Model):
    """A chargeback the customer's bank opened on a succeeded payment, as the gateway reports it
    (Stripe's dispute object): what the payment's invoice and the customer's view flag."""

    attempt = models.ForeignKey(PaymentAttempt, on_delete=models.PROTECT, related_name="disputes")
    gateway_dispute_id = models.CharField(max_length=128, unique=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=64, blank=True)
    # The gateway's own status: needs_response, under_review, won, lost, warning_closed ...
    status = models.CharField(max_length=32)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"dispute {self.gateway_dispute_id} {self.status}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def outcome(self) -> str:
        """ "open", "won" (the payment stands), "lost" (the bank took the money back) or "closed"
        (Stripe's warning_closed / prevented: an inquiry that never became a chargeback)."""
        if self.is_open:
            return "open"
        return self.status if self.status in ("won", "lost") else "closed"


# --- Stripe's webhook events ------------------------------------------------------------------


class StripeEventStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored"
    FAILED = "failed", "Failed (to be retried)"


class StripeEvent(models.Model):
    """One event Stripe sent to /webhooks/stripe/, stored once by its id before anything is done
    with it, so a replay is recognised and a failure to process loses nothing."""

    stripe_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    # The id of the object the event is about (pi_..., ch_..., pm_..., dp_...): events about the
    # same object are applied in Stripe's order, an older one arriving late is ignored.
    object_id = models.CharField(max_length=255, blank=True)
    stripe_created = models.DateTimeField()
    livemode = models.BooleanField(default=False)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=StripeEventStatus.choices, default=StripeEventStatus.RECEIVED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=2000, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["object_id", "stripe_created"], name="stripe_event_obj_idx")
        ]

    def __str__(self) -> str:
        return f"{self.stripe_id} {self.type} ({self.status})"
