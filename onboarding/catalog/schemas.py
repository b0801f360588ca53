from ninja import Schema
from pydantic import Field

from onboarding.catalog.models import Plan
from onboarding.core.schemas import MoneyOut, deprecated


class PriceOut(Schema):
    cycle: str
    amount_minor: int = Field(..., json_schema_extra=deprecated("amount.amount_minor"))
    tax_minor: int = Field(..., json_schema_extra=deprecated("tax.amount_minor"))
    gross_minor: int = Field(..., json_schema_extra=deprecated("gross.amount_minor"))
    currency: str = Field(..., json_schema_extra=deprecated("amount.currency"))
    amount: MoneyOut  # net, per cycle
    tax: MoneyOut
    gross: MoneyOut  # net plus tax


class PlanOut(Schema):
    slug: str
    name: str
    product: str
    tier: str
    summary: str
    includes: list[str]
    currency: str
    tax_rate_bp: int
    response_time_hours: int
    term_months: int
    prices: list[PriceOut]

    @staticmethod
    def of(plan: Plan) -> "PlanOut":
        return PlanOut(
            slug=plan.slug,
            name=plan.name,
            product=plan.product.name,
            tier=plan.tier,
            summary=plan.summary,
            includes=plan.include_lines,
            currency=plan.currency,
            tax_rate_bp=plan.tax_rate_bp,
            response_time_hours=plan.response_time_hours,
            term_months=plan.term_months,
            prices=[
                PriceOut(
                    cycle=price.cycle,
                    amount_minor=price.amount_minor,
                    tax_minor=price.tax.amount_minor,
                    gross_minor=price.gross.amount_minor,
                    currency=plan.currency,
                    amount=price.amount,
                    tax=price.tax,
                    gross=price.gross,
                )
                for price in plan.prices.all()
            ],
        )
