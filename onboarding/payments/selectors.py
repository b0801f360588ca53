import datetime as dt
from collections.abc import Iterable

from django.db.models import (
    Case,
    CharField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from onboarding.accounts.models import Customer
from onboarding.core import clock
from onboarding.core.money import Money
from onboarding.payments.models import (
    PaymentAttempt,
    PaymentDispute,
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
    today = today or clock.now().date()
    cutoff = today + dt.timedelta(days=within_days)
    return (
        PaymentMethod.objects.filter(status=PaymentMethodStatus.ACTIVE)
        .filter(Q(exp_year__lt=cutoff.year) | Q(exp_year=cutoff.year, exp_month__lt=cutoff.month))
        .select_related("customer__user")
        .order_by("exp_year", "exp_month", "pk")
    )


# What the invoice pages, the invoice API and the customer view read of a dispute.
_DISPUTE_COLUMNS = (
    "id",
    "attempt_id",
    "gateway_dispute_id",
    "amount_minor",
    "currency",
    "reason",
    "status",
    "opened_at",
    "closed_at",
)


def payment_dispute_flag(attempt_id: OuterRef) -> Subquery:
    """An expression for a list's rows: "open" while the newest dispute of the attempt
    `attempt_id` refers to is open, "lost" once the bank won it, else "" (none, won, withdrawn).
    Annotate a page of rows with it rather than asking once per row."""
    newest = (
        PaymentDispute.objects.filter(attempt_id=attempt_id)
        .order_by("-opened_at", "-id")
        .annotate(
            flag=Case(
                When(closed_at__isnull=True, then=Value("open")),
                When(status="lost", then=Value("lost")),
                default=Value(""),
                output_field=CharField(),
            )
        )
        .values("flag")[:1]
    )
    return Coalesce(Subquery(newest, output_field=CharField()), Value(""))


def payment_disputes_by_attempt(*, attempt_ids: Iterable[int | None]) -> dict[int, PaymentDispute]:
    """The newest dispute of each of `attempt_ids` (a charge is disputed once in practice, but
    an inquiry can be followed by a chargeback), keyed by attempt id; one query, none for no ids."""
    ids = {pk for pk in attempt_ids if pk is not None}
    if not ids:
        return {}
    disputes: dict[int, PaymentDispute] = {}
    rows = (
        PaymentDispute.objects.filter(attempt_id__in=ids)
        .only(*_DISPUTE_COLUMNS)
        .order_by("attempt_id", "-opened_at", "-id")
    )
    for dispute in rows:
        disputes.setdefault(dispute.attempt_id, dispute)
    return disputes


def payment_disputes_of(*, customer: Customer, limit: int = 50) -> list[PaymentDispute]:
    """A customer's disputes, newest first, each with the charge it is about (its amount and
    invoice reference); one query."""
    return list(
        PaymentDispute.objects.filter(attempt__customer=customer)
        .select_related("attempt")
        .only(
            *_DISPUTE_COLUMNS,
            "attempt__id",
            "attempt__customer_id",
            "attempt__invoice_reference",
            "attempt__description",
            "attempt__amount_minor",
            "attempt__currency",
        )
        .order_by("-opened_at", "-id")[:limit]
    )


def payment_disputes_flagged_many(*, customer_ids: Iterable[int]) -> list[PaymentDispute]:
    """The open and the lost disputes of many customers at once (what flags a customer), each
    annotated with its `customer_id` and with the charge's invoice reference (the search results
    flag them); one query."""
    return list(
        PaymentDispute.objects.filter(attempt__customer_id__in=list(customer_ids))
        .filter(Q(closed_at__isnull=True) | Q(status="lost"))
        .select_related("attempt")
        .only(
            *_DISPUTE_COLUMNS,
            "attempt__id",
            "attempt__invoice_reference",
            "attempt__description",
        )
        .annotate(customer_id=F("attempt__customer_id"))
        .order_by("customer_id", "-opened_at", "-id")
    )
