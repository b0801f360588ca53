"""/api/v1/staff/funnel: customers per onboarding step (a customer's own steps: portal.api)."""

from django.http import HttpRequest
from ninja import Router

from onboarding.journey.schemas import FunnelRowOut
from onboarding.journey.selectors import journey_funnel

staff_router = Router()


@staff_router.get("", response=list[FunnelRowOut], summary="Customers per onboarding step")
def funnel(request: HttpRequest):
    return [
        FunnelRowOut(
            step=row.step.value,
            label=str(row.step.label),
            standing=row.standing,
            failed=row.failed,
            ever_failed=row.ever_failed,
            done=row.done,
        )
        for row in journey_funnel()
    ]
