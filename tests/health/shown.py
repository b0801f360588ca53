"""Health score rows written directly, for the tests of where the score is shown (how a score is
computed is tested with scoring.py; these tests only read what it stores)."""

from datetime import timedelta

from django.utils import timezone

from onboarding.accounts.models import Customer, TestClock
from onboarding.health.models import CustomerHealth, CustomerHealthSnapshot, Factor
from tests.factories import UserFactory

WEIGHTS = {
    Factor.PAYMENT: 30,
    Factor.ACCEPTANCE: 20,
    Factor.CONTRACT: 15,
    Factor.SERVICE: 20,
    Factor.CARD: 10,
    Factor.ENGAGEMENT: 5,
}
EXPLAINED = {
    Factor.PAYMENT: "2 invoices overdue, the oldest by 12 days; dunning has begun.",
    Factor.ACCEPTANCE: "Acceptance is red and unacknowledged for 9 days.",
    Factor.CONTRACT: "The contract ends in 20 days and nobody said whether it renews.",
    Factor.SERVICE: "1 critical request open; 1 SLA breach this month.",
    Factor.CARD: "The card expired last month.",
    Factor.ENGAGEMENT: "Nobody has signed in for 64 days.",
}


def band_of(score: int) -> str:
    return "red" if score < 40 else "green" if score >= 70 else "yellow"


def factors(**costs: int) -> list[dict]:
    """Every factor in order, costing what `costs` says (payment=30, ...) and else nothing."""
    return [
        {
            "factor": str(factor),
            "cost": costs.get(str(factor), 0),
            "weight": weight,
            "explanation": EXPLAINED[factor] if costs.get(str(factor)) else "In order.",
        }
        for factor, weight in WEIGHTS.items()
    ]


def scored(
    customer: Customer,
    *,
    costs: dict[str, int] | None = None,
    trend: int = 0,
    history: list[tuple[int, int]] = (),
    computed_ago: timedelta = timedelta(hours=2),
) -> CustomerHealth:
    """Store `customer`'s score as 100 minus `costs`, with `history` snapshots
    ((days ago, score), any order) and the current score as the newest snapshot."""
    costs = costs or {}
    score = max(0, 100 - sum(costs.values()))
    now = timezone.now()
    health = CustomerHealth.objects.create(
        customer=customer,
        score=score,
        band=band_of(score),
        factors=factors(**costs),
        trend=trend,
        computed_at=now - computed_ago,
    )
    snapshots = [
        CustomerHealthSnapshot(
            customer=customer,
            score=old,
            band=band_of(old),
            factors=[],
            computed_at=now - timedelta(days=days_ago),
        )
        for days_ago, old in history
    ]
    snapshots.append(
        CustomerHealthSnapshot(
            customer=customer,
            score=score,
            band=band_of(score),
            factors=health.factors,
            computed_at=health.computed_at,
        )
    )
    CustomerHealthSnapshot.objects.bulk_create(snapshots)
    return health


def a_customer(company: str = "", **fields) -> Customer:
    user = UserFactory(**fields)
    customer = user.customer
    if company:
        customer.company = company
        customer.save(update_fields=["company"])
    return customer


def a_test_customer(company: str, creator) -> Customer:
    customer = a_customer(company)
    clock = TestClock.objects.create(name="Health", frozen_time=timezone.now(), created_by=creator)
    customer.test_clock = clock
    customer.save(update_fields=["test_clock"])
    return customer


def counted():
    """The worker's count of the queue's customers per band and score, stored for pages."""
    from onboarding.health.counts import health_counts_refresh

    return health_counts_refresh()
