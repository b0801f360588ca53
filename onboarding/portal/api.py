"""/api/v1/me/journey: a customer's own onboarding steps."""

from django.http import HttpRequest
from ninja import Router

from onboarding.accounts.selectors import customer_of_user
from onboarding.journey.schemas import JourneyStepOut
from onboarding.journey.selectors import journey_of

journey_router = Router()


@journey_router.get(
    "",
    response={200: list[JourneyStepOut], 404: dict},
    summary="Your onboarding steps",
    # The id the OpenAPI document gives this operation, which generated clients name it by.
    operation_id="onboarding_journey_api_my_journey",
)
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
