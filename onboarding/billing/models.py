from django.db import models

from onboarding.accounts.access import access_rule
from onboarding.accounts.models import Customer
from onboarding.accounts.roles import STAFF_ROLES
from onboarding.catalog.models import BillingCycle, Plan
from onboarding.core.errors import Conflict
from onboarding.core.money import Money


class SubscriptionStatus(models.TextChoices):
    PENDING = "pending", "Awaiting first payment"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    CANCELLED = "cancelled", "Cancelled"


# Every allowed move, in one place; anything else is refused.
SUBSCRIPTION_MOVES = {
    SubscriptionStatus.PENDING: {
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.PAST_DUE,
        SubscriptionStatus.CANCELLED,
    },
    SubscriptionStatus.ACTIVE: {SubscriptionStatus.PAST_DUE, SubscriptionStatus.CANCELLED},
    SubscriptionStatus.PAST_DUE: {SubscriptionStatus.ACTIVE, SubscriptionStatus.CANCELLED},
    SubscriptionStatus.CANCELLED: set(),
}
LIVE_STATUSES = (SubscriptionStatus.PENDING, SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)


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
    amount_minor = models.PositiveBigIntegerField(help_text="Net price per cycle, as bought.")
    currency = models.CharField(max_length=3)
    tax_rate_bp = models.PositiveIntegerField()
    purchased_at = models.DateTimeField()
    # The day periods start from; it never changes (periods are counted from it).
    billing_anchor = models.DateTimeField()
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    next_invoice_at = models.DateTimeField(db_index=True)
    cancel_at_period_end = models.BooleanField(default=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "plan"],
                condition=models.Q(status__in=["pending", "active", "past_due"]),
                name="one_live_subscription_per_customer_plan",
            )
        ]
        indexes = [models.Index(fields=["status", "next_invoice_at"], name="sub_due_idx")]

    def __str__(self) -> str:
        return f"{self.customer} · {self.plan.name} ({self.get_cycle_display()})"

    @property
    def price(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def tax(self) -> Money:
        return self.price.percentage(self.tax_rate_bp)

    @property
    def price_with_tax(self) -> Money:
        return self.price + self.tax

    def move_to(self, status: str) -> None:
        """Change status, refusing any move SUBSCRIPTION_MOVES does not allow."""
        current = SubscriptionStatus(self.status)
        if SubscriptionStatus(status) not in SUBSCRIPTION_MOVES[current]:
            raise Conflict(
                f"A subscription that is {current.label.lower()} cannot become "
                f"{SubscriptionStatus(status).label.lower()}."
            )
        self.status = status
