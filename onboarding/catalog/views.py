from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django_countries import countries

from onboarding.catalog.models import BillingCycle, Plan
from onboarding.catalog.selectors import (
    ChoiceRefused,
    catalog_on_sale,
    country_check,
    price_tax_for,
)
from onboarding.catalog.snapshot import CatalogSnapshot
from onboarding.core.errors import DomainError
from onboarding.core.money import DEFAULT_CURRENCY, Money, locale_for
from onboarding.tax.selectors import TaxDecision


@dataclass(frozen=True)
class Shopper:
    """Who is looking at the prices, as far as the page knows: a signed-in customer's fixed
    currency, profile country and VAT number, else what the visitor chose (?currency=,
    ?country=)."""

    currency: str
    currency_fixed: bool = False
    country: str = ""
    country_from_profile: bool = False
    vat_number: str = ""


@dataclass(frozen=True)
class PlanPriceShown:
    """A plan's price for the chosen cycle and currency, net, and gross when tax is known."""

    cycle: str
    net: Money
    gross: Money | None


def _customer_of(request: HttpRequest):
    """The signed-in user's customer record, if any: read through the user, as catalog sits
    below accounts and does not import it."""
    if not request.user.is_authenticated:
        return None
    try:
        return request.user.customer
    except ObjectDoesNotExist:
        return None


def _currency_for(request: HttpRequest, catalog: CatalogSnapshot, customer) -> tuple[str, bool]:
    """(currency, fixed): the customer's once their first purchase fixed it; else the one chosen
    if anything is sold in it, else the default."""
    if customer is not None and customer.currency:
        return customer.currency, True
    wanted = request.GET.get("currency", "").strip().upper()
    sold = catalog.currencies
    if wanted in sold:
        return wanted, False
    return (DEFAULT_CURRENCY if DEFAULT_CURRENCY in sold or not sold else sold[0]), False


def _shopper(request: HttpRequest, catalog: CatalogSnapshot) -> Shopper:
    """ChoiceRefused for a ?country= the site does not know."""
    customer = _customer_of(request)
    currency, fixed = _currency_for(request, catalog, customer)
    if customer is not None and customer.country:
        return Shopper(currency, fixed, customer.country.code, True, customer.vat_number)
    return Shopper(currency, fixed, country_check(country=request.GET.get("country", "")))


def _shown(plan: Plan, cycle: str, currency: str, tax: TaxDecision | None) -> PlanPriceShown | None:
    price = next((p for p in plan.prices_in(currency) if p.cycle == cycle), None)
    if price is None:
        return None
    net = price.amount
    gross = net + net.percentage(tax.rate_bp) if tax is not None else None
    return PlanPriceShown(cycle=cycle, net=net, gross=gross)


def _plans_html(
    catalog: CatalogSnapshot, *, cycle: str, currency: str, tax: TaxDecision | None, country: str
) -> SafeString:
    """The plan cards: the same for every visitor with the same cycle, currency, tax, money
    locale and language (the plans' prose is translated), so rendered once per catalogue version
    and those, and kept with the snapshot (a change to the catalogue drops them too)."""
    locale = locale_for(country=country)
    tax_key = (tax.rate_bp, tax.reverse_charge, tax.label) if tax is not None else None

    def build() -> SafeString:
        return SafeString(
            render_to_string(
                "catalog/_plans.html",
                {
                    # Each plan with its price for the cycle in the currency (None: not sold so).
                    "rows": [(plan, _shown(plan, cycle, currency, tax)) for plan in catalog.plans],
                    "cycle": cycle,
                    "currency": currency,
                    "tax": tax,
                    "country": country,
                },
            )
        )

    language = translation.get_language()
    return catalog.derive(("pricing", cycle, currency, tax_key, locale, language), build)


def pricing(request: HttpRequest) -> HttpResponse:
    cycle = request.GET.get("cycle")
    if cycle not in BillingCycle.values:
        cycle = BillingCycle.ANNUAL.value
    catalog = catalog_on_sale()
    problem, status = "", 200
    try:
        shopper = _shopper(request, catalog)
    except ChoiceRefused as refused:
        customer = _customer_of(request)
        shopper = Shopper(*_currency_for(request, catalog, customer))
        problem, status = refused.message, 422
    tax = None
    if shopper.country:
        try:
            tax = price_tax_for(country=shopper.country, vat_number=shopper.vat_number)
        except DomainError as refused:  # a gap in the rates table: net prices only, and why
            problem = refused.message
    keep = {"currency": shopper.currency, "country": shopper.country}
    keep = {name: value for name, value in keep.items() if value}
    return render(
        request,
        "catalog/pricing.html",
        {
            "plans_html": _plans_html(
                catalog, cycle=cycle, currency=shopper.currency, tax=tax, country=shopper.country
            ),
            "shopper": shopper,
            "tax": tax,
            "problem": problem,
            "cycle": cycle,
            "cycles": [
                (value, label, urlencode({"cycle": value, **keep}))
                for value, label in BillingCycle.choices
            ],
            "currencies": catalog.currencies,
            "countries": countries,
            "country_name": countries.name(shopper.country) if shopper.country else "",
        },
        status=status,
    )
