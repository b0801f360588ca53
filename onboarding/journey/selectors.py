from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Q

from onboarding.accounts.models import Customer
from onboarding.journey.models import JourneyStep, Step, StepState


def journey_of(*, customer: Customer) -> list[JourneyStep]:
    return list(JourneyStep.objects.filter(customer=customer).order_by("position"))


@dataclass(frozen=True)
class FunnelRow:
    step: Step
    standing: int  # customers for whom this is the first step not done
    failed: int  # customers whose step is failed now
    done: int
    ever_failed: int  # customers who failed at this step at least once


def _standing_by_position() -> dict[int, int]:
    """Customers per earliest step not done, counted in the database."""
    table = JourneyStep._meta.db_table
    sql = (
        f"SELECT first_open, COUNT(*) FROM (SELECT customer_id, MIN(position) AS first_open "  # noqa: S608 (table name from model meta)
        f"FROM {table} WHERE state <> %s GROUP BY customer_id) AS open_steps GROUP BY first_open"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [StepState.DONE.value])
        return {int(position): int(count) for position, count in cursor.fetchall()}


def journey_funnel() -> list[FunnelRow]:
    """How many customers stand at each step and how many failed there, in two queries."""
    by_step = {
        row["step"]: row
        for row in JourneyStep.objects.values("step").annotate(
            done=Count("id", filter=Q(state=StepState.DONE)),
            failed=Count("id", filter=Q(state=StepState.FAILED)),
            ever_failed=Count("id", filter=Q(failures__gt=0)),
        )
    }
    standing = _standing_by_position()
    empty = {"done": 0, "failed": 0, "ever_failed": 0}
    return [
        FunnelRow(
            step=step,
            standing=standing.get(step.position, 0),
            failed=by_step.get(step.value, empty)["failed"],
            done=by_step.get(step.value, empty)["done"],
            ever_failed=by_step.get(step.value, empty)["ever_failed"],
        )
        for step in Step.ordered()
    ]
