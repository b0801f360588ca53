"""/api/v1/catalog/: the public list of plans on sale."""

from django.http import HttpRequest
from ninja import Router

from onboarding.catalog.schemas import PlanOut
from onboarding.catalog.selectors import plan_get_on_sale, plan_list_on_sale

router = Router(auth=None)


@router.get("/plans", response=list[PlanOut], summary="Plans on sale, with a price per cycle")
def list_plans(request: HttpRequest):
    return [PlanOut.of(plan) for plan in plan_list_on_sale()]


@router.get("/plans/{slug}", response={200: PlanOut, 404: dict}, summary="One plan on sale")
def get_plan(request: HttpRequest, slug: str):
    plan = plan_get_on_sale(slug=slug[:120])
    return PlanOut.of(plan)
