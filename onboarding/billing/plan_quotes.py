"""What a plan change would do (a quote, shown before it is confirmed and used to make it) and
what it did (the outcome): the value types of plan_changes.py."""

from dataclasses import dataclass
from datetime import datetime

from onboarding.billing.models import Invoice, PlanChange, PlanChangeStatus, Subscription
from onboarding.billing.plan_settle import units_label
from onboarding.catalog.models import Plan
from onboarding.core.money import Money
from onboarding.tax.selectors import TaxDecision


@dataclass(frozen=True)
class QuoteLine:
    description: str
    amount: Money  # net; negative for the credit
    tax: Money
    period_start: datetime
    period_end: datetime


@dataclass(frozen=True)
class PlanChangeQuote:
    """What a change would do, shown before it is confirmed and used to make it."""

    subscription: Subscription
    plan: Plan
    quantity: int
    unit_amount: Money  # the new plan's price of one unit per period, at the cycle
    when: str  # NOW or AT_PERIOD_END
    at: datetime  # the moment it takes effect
    lines: tuple[QuoteLine, ...] = ()
    cycle: str = ""  # a move to a longer cycle now (cycle_changes.py): the new cycle
    period_end: datetime | None = None  # ... and the end of the stretched period
    # The customer's tax on the day of the change (NOW only): every line is taxed by it.
    tax_decision: TaxDecision | None = None

    @property
    def subtotal(self) -> Money:
        return sum((line.amount for line in self.lines), Money.zero(self.unit_amount.currency))

    @property
    def tax(self) -> Money:
        return sum((line.tax for line in self.lines), Money.zero(self.unit_amount.currency))

    @property
    def total(self) -> Money:
        return self.subtotal + self.tax

    @property
    def terms(self) -> str:
        return units_label(self.plan, self.quantity)


@dataclass(frozen=True)
class PlanChangeOutcome:
    quote: PlanChangeQuote
    subscription: Subscription
    change: PlanChange | None = None  # NOW only
    invoice: Invoice | None = None

    @property
    def applied(self) -> bool:
        return self.change is not None and self.change.status == PlanChangeStatus.APPLIED
