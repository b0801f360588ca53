"""The journey's audit events, one typed function each: nothing else writes them."""

from django.db import models

from onboarding.audit.models import Outcome
from onboarding.audit.services import audit_record
from onboarding.journey.models import JourneyStep, Step, StepState


def journey_step_done(*, customer: models.Model, row: JourneyStep, step: Step) -> None:
    audit_record(
        action="journey.step_done",
        target=row,
        customer_id=customer.pk,
        changes={"step": step.value, "state": [StepState.PENDING, StepState.DONE]},
    )


def journey_step_failed(
    *, customer: models.Model, row: JourneyStep, step: Step, reason: str
) -> None:
    audit_record(
        action="journey.step_failed",
        target=row,
        customer_id=customer.pk,
        outcome=Outcome.FAILURE,
        message=reason[:300],
        changes={"step": step.value},
    )
