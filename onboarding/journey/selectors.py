from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, models
from django.db.models import Count, Q

from onboarding.journey.models import JourneyStep, Step, StepState


def journey_of(*, customer: models.Model) -> list[JourneyStep]:
    return list(JourneyStep.objects.filter(customer=customer).order_by("position"))


@dataclass(frozen=True)
class FunnelRow:
    step: Step
    standing: int  # customers for whom this is the first step not done
    failed: int  # customers whose step is failed now
    done: int
    ever_failed: int  # customers who failed at this step at least once
    reached: int = 0  # customers who finished every step before this one
    passed: int = 0  # customers who finished this step and every one before it
    conversion_pct: Decimal | None = None  # passed, as a share of everyone who started
    drop_off_pct: Decimal | None = None  # standing, as a share of those who reached the step


def percent(part: int, whole: int) -> Decimal | None:
    """`part` of `whole` in percent to one decimal place; None when there is no whole."""
    if whole <= 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _real():
    """Journeys of real customers: test customers (bound to a test clock, docs/test-clocks.md)
    are left out of the funnel."""
    return JourneyStep.objects.filter(customer__test_clock__isnull=True)


def _standing_by_position() -> dict[int, int]:
    """Customers per earliest step not done, counted in the database."""
    table = JourneyStep._meta.db_table
    customers = JourneyStep._meta.get_field("customer").related_model._meta.db_table
    sql = (
        f"SELECT first_open, COUNT(*) FROM (SELECT customer_id, MIN(position) AS first_open "  # noqa: S608 (table names from model meta)
        f"FROM {table} WHERE state <> %s AND customer_id NOT IN "
        f"(SELECT user_id FROM {customers} WHERE test_clock_id IS NOT NULL) "
        "GROUP BY customer_id) AS open_steps GROUP BY first_open"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [StepState.DONE.value])
        return {int(position): int(count) for position, count in cursor.fetchall()}


def journey_funnel() -> list[FunnelRow]:
    """How many customers stand at each step, how many failed there, and the funnel's
    conversion (from the first step) and drop-off per step, in three queries.

    A customer reaches a step once every step before it is done, and passes it once it is
    done too; everyone who has a journey has reached the first step.
    """
    by_step = {
        row["step"]: row
        for row in _real()
        .values("step")
        .annotate(
            done=Count("id", filter=Q(state=StepState.DONE)),
            failed=Count("id", filter=Q(state=StepState.FAILED)),
            ever_failed=Count("id", filter=Q(failures__gt=0)),
        )
    }
    standing = _standing_by_position()
    started = _real().values("customer").distinct().count()
    empty = {"done": 0, "failed": 0, "ever_failed": 0}
    rows = []
    reached = started
    for step in Step.ordered():
        here = standing.get(step.position, 0)
        passed = max(reached - here, 0)
        counts = by_step.get(step.value, empty)
        rows.append(
            FunnelRow(
                step=step,
                standing=here,
                failed=counts["failed"],
                done=counts["done"],
                ever_failed=counts["ever_failed"],
                reached=reached,
                passed=passed,
                conversion_pct=percent(passed, started),
                drop_off_pct=percent(here, reached),
            )
        )
        reached = passed
    return rows
