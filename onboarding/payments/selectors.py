import datetime as dt

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from onboarding.accounts.models import Customer
from onboarding.core.money import Money
from onboarding.payments.models import (
    PaymentAttempt,
    PaymentMethod,
    PaymentMethodStatus,
    RefundStatus,
)


def payment_method_active(*, customer: Customer) -> PaymentMethod | None:
    return PaymentMethod.objects.filter(
        customer=customer, status=PaymentMethodStatus.ACTIVE
    ).first()


def payment_attempts_of(*, customer: Customer) -> QuerySet[PaymentAttempt]:
    """A customer's charge attempts, newest first, with the card each one used and
    `refunded_minor` (given back or on its way back) in the same query."""
    return (
        PaymentAttempt.objects.filter(customer=customer)
        .select_related("payment_method")
        .annotate(
            refunded_minor=Coalesce(
                Sum("refunds__amount_minor", filter=~Q(refunds__status=RefundStatus.FAILED)),
                0,
            )
        )
        .order_by("-created_at", "-pk")
    )


def payment_refunded(*, attempt: PaymentAttempt) -> Money:
    """What has been given back of `attempt` so far, or is on its way back (pending refunds)."""
    total = attempt.refunds.exclude(status=RefundStatus.FAILED).aggregate(
        total=Sum("amount_minor")
    )["total"]
    return Money(total or 0, attempt.currency)


def cards_expiring_soon(
    *, within_days: int = 30, today: dt.date | None = None
) -> QuerySet[PaymentMethod]:
    """Active cards whose last valid day falls within `within_days` of today (or is already past).

    Same rule as PaymentMethod.expires_within, in SQL: a card is good through the last day of its
    expiry month, so it counts when that month is before the month of today + within_days.
    """
    today = today or timezone.now().date()
    cutoff = today + dt.timedelta(days=within_days)
    return (
        PaymentMethod.objects.filter(status=PaymentMethodStatus.ACTIVE)
        .filter(Q(exp_year__lt=cutoff.year) | Q(exp_year=cutoff.year, exp_month__lt=cutoff.month))
        .select_related("customer__user")
        .order_by("exp_year", "exp_month", "pk")
    )
