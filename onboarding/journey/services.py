"""Moving a customer's onboarding journey along. Called by the services that do each step.

A step is pending until done; a failure marks it failed with the reason, and a later success
marks it done (a customer who fixes their card moves on). A done step stays done.
"""

from django.db import models, transaction
from django.utils import timezone

from onboarding.journey.events import journey_step_done, journey_step_failed
from onboarding.journey.models import JourneyStep, Step, StepState


def journey_start(*, customer: models.Model) -> None:
    """Create the five steps as pending; idempotent."""
    now = timezone.now()
    existing = set(JourneyStep.objects.filter(customer=customer).values_list("step", flat=True))
    JourneyStep.objects.bulk_create(
        [
            JourneyStep(customer=customer, step=step, position=step.position, updated_at=now)
            for step in Step.ordered()
            if step not in existing
        ]
    )


def _step_for_update(customer: models.Model, step: Step) -> JourneyStep:
    journey_start(customer=customer)
    return JourneyStep.objects.select_for_update().get(customer=customer, step=step)


@transaction.atomic
def journey_step_complete(*, customer: models.Model, step: Step) -> JourneyStep:
    row = _step_for_update(customer, step)
    if row.state == StepState.DONE:
        return row
    now = timezone.now()
    row.state, row.failure_reason, row.updated_at, row.completed_at = StepState.DONE, "", now, now
    row.save(update_fields=["state", "failure_reason", "updated_at", "completed_at"])
    journey_step_done(customer=customer, row=row, step=step)
    return row


@transaction.atomic
def journey_step_fail(*, customer: models.Model, step: Step, reason: str) -> JourneyStep:
    row = _step_for_update(customer, step)
    if row.state == StepState.DONE:
        return row  # a later failure (a renewal's payment) does not undo onboarding
    row.state, row.failure_reason, row.updated_at = StepState.FAILED, reason[:300], timezone.now()
    row.failures += 1
    row.save(update_fields=["state", "failure_reason", "updated_at", "failures"])
    journey_step_failed(customer=customer, row=row, step=step, reason=reason)
    return row
