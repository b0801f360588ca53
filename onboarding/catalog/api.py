"""/api/v1/catalog/: the public list of plans on sale, priced in a currency, with the tax of a
country when one is given."""

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from onboarding.catalog.schemas import PlanOut
from onboarding.catalog.selectors import (
    country_check,
    currency_check,
    plan_get_on_sale,
    plan_list_on_sale,
    price_tax_for,
)
from onboarding.core.money import DEFAULT_CURRENCY

router = Router(auth=None)


class PricingQuery(Schema):
    currency: str = Field(DEFAULT_CURRENCY, max_length=3, description="ISO 4217 code of the prices")
    country: str = Field(
        "", max_length=2, description="ISO 3166 code of the buyer: adds tax and gross prices"
    )


def _priced(query: PricingQuery):
    currency = currency_check(currency=query.currency)
    tax = price_tax_for(country=country_check(country=query.country))
    return currency, tax


@router.get(
    "/plans",
    response={200: list[PlanOut], 422: dict},
    summary="Plans on sale, with a price per cycle in a currency",
)
def list_plans(request: HttpRequest, query: Query[PricingQuery]):
    currency, tax = _priced(query)
    return [PlanOut.of(plan, currency=currency, tax=tax) for plan in plan_list_on_sale()]


@router.get(
    "/plans/{slug}", response={200: PlanOut, 404: dict, 422: dict}, summary="One plan on sale"
)
def get_plan(request: HttpRequest, slug: str, query: Query[PricingQuery]):
    currency, tax = _priced(query)
    plan = plan_get_on_sale(slug=slug[:120])
    return PlanOut.of(plan, currency=currency, tax=tax)
