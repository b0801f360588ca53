"""/api/v1/me/journey (a customer's own steps) and /api/v1/staff/funnel (all customers)."""

from django.http import HttpRequest
from ninja import Router

from onboarding.accounts.selectors import customer_of_user
from onboarding.journey.schemas import FunnelRowOut, JourneyStepOut
from onboarding.journey.selectors import journey_funnel, journey_of

me_router = Router()
staff_router = Router()


@me_router.get("", response={200: list[JourneyStepOut], 404: dict}, summary="Your onboarding steps")
def my_journey(request: HttpRequest):
    return [
        JourneyStepOut(
            step=row.step,
            label=row.get_step_display(),
            state=row.state,
            updated_at=row.updated_at,
            completed_at=row.completed_at,
            failure_reason=row.failure_reason,
        )
        for row in journey_of(customer=customer_of_user(user=request.user))
    ]


@staff_router.get("", response=list[FunnelRowOut], summary="Customers per onboarding step")
def funnel(request: HttpRequest):
    return [
        FunnelRowOut(
            step=row.step.value,
            label=row.step.label,
            standing=row.standing,
            failed=row.failed,
            ever_failed=row.ever_failed,
            done=row.done,
        )
        for row in journey_funnel()
    ]
