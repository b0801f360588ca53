from ninja import Schema

from onboarding.catalog.models import Plan


class PriceOut(Schema):
    cycle: str
    amount_minor: int
    tax_minor: int
    gross_minor: int
    currency: str


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
                )
                for price in plan.prices.all()
            ],
        )
