from ninja import Schema
from pydantic import Field

from onboarding.catalog.models import Plan
from onboarding.core.money import Money
from onboarding.core.schemas import MoneyOut, deprecated
from onboarding.tax.selectors import TaxDecision


class TaxOut(Schema):
    """The tax a buyer in `country` pays today (?country=): it follows the buyer, not the plan."""

    country: str
    rate_bp: int = Field(..., description="Basis points: 2000 is 20%")
    reverse_charge: bool
    label: str


class PriceOut(Schema):
    cycle: str
    currency: str
    amount: MoneyOut  # net, per cycle
    # With ?country= only: the tax and the price with it; null otherwise.
    tax: MoneyOut | None
    gross: MoneyOut | None
    amount_minor: int = Field(..., json_schema_extra=deprecated("amount.amount_minor"))
    tax_minor: int | None = Field(..., json_schema_extra=deprecated("tax.amount_minor"))
    gross_minor: int | None = Field(..., json_schema_extra=deprecated("gross.amount_minor"))


class PlanOut(Schema):
    slug: str
    name: str
    product: str
    tier: str
    summary: str
    includes: list[str]
    currencies: list[str] = Field(..., description="Every currency the plan has prices in")
    currency: str = Field(..., description="The currency of `prices` (?currency=, EUR if left out)")
    tax: TaxOut | None = Field(..., description="With ?country= only")
    tax_rate_bp: int | None = Field(..., json_schema_extra=deprecated("tax.rate_bp"))
    response_time_hours: int
    term_months: int
    prices: list[PriceOut] = Field(..., description="Per cycle, in `currency`")

    @staticmethod
    def of(plan: Plan, *, currency: str, tax: TaxDecision | None = None) -> "PlanOut":
        return PlanOut(
            slug=plan.slug,
            name=plan.name,
            product=plan.product.name,
            tier=plan.tier,
            # In the call's language (Accept-Language), English where the plan has no text in it.
            summary=plan.text("summary"),
            includes=plan.include_lines_in(),
            currencies=plan.currencies,
            currency=currency,
            tax=(
                TaxOut(
                    country=tax.country,
                    rate_bp=tax.rate_bp,
                    reverse_charge=tax.reverse_charge,
                    label=tax.label,
                )
                if tax is not None
                else None
            ),
            tax_rate_bp=tax.rate_bp if tax is not None else None,
            response_time_hours=plan.response_time_hours,
            term_months=plan.term_months,
            prices=[
                _price_out(price.cycle, price.amount, tax) for price in plan.prices_in(currency)
            ],
        )


def _price_out(cycle: str, net: Money, tax: TaxDecision | None) -> PriceOut:
    taxed = net.percentage(tax.rate_bp) if tax is not None else None
    gross = net + taxed if taxed is not None else None
    return PriceOut(
        cycle=cycle,
        currency=net.currency,
        amount=net,
        tax=taxed,
        gross=gross,
        amount_minor=net.amount_minor,
        tax_minor=taxed.amount_minor if taxed is not None else None,
        gross_minor=gross.amount_minor if gross is not None else None,
    )
