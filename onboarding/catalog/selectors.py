import copy

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext
from django_countries import countries

from onboarding.catalog.models import BillingCycle, Plan, PlanPrice
from onboarding.catalog.snapshot import CatalogSnapshot, catalog_snapshot
from onboarding.core.errors import DomainError, NotFound
from onboarding.core.money import SUPPORTED_CURRENCIES, currencies_in_order
from onboarding.tax.selectors import TaxDecision, tax_for


class ChoiceRefused(DomainError):
    """A country or currency the buyer chose that the shop cannot take: a field error (422)."""

    status_code = 422
    code = "invalid"


class CurrencyNotSold(ChoiceRefused):
    """A currency the plan (or the shop) has no price in: the buyer chooses another."""

    code = "currency_not_sold"


def _plans_on_sale_from_database() -> list[Plan]:
    return list(
        Plan.objects.on_sale()
        .select_related("product")
        .prefetch_related(
            Prefetch("prices", queryset=PlanPrice.objects.order_by(BillingCycle.order()))
        )
    )


def catalog_on_sale() -> CatalogSnapshot:
    """The plans on sale as this process last read them, current to the shared catalogue
    version (catalog/snapshot.py): one cache read, no query, while nothing changes."""
    return catalog_snapshot(_plans_on_sale_from_database)


def plan_list_on_sale() -> list[Plan]:
    """Plans a visitor can buy, each with its product and prices (ordered by cycle). The
    objects are shared by every request of this process: read them, never change them."""
    return catalog_on_sale().plans


def plan_get_on_sale(*, slug: str) -> Plan:
    """One plan on sale with its product and prices; a copy the caller may change."""
    plan = catalog_on_sale().by_slug.get(slug)
    if plan is None:
        raise NotFound(gettext("That plan does not exist or is no longer on sale."), field="plan")
    return copy.copy(plan)


def currency_check(*, currency: str) -> str:
    """`currency` if the shop sells in it at all (upper-cased), else CurrencyNotSold."""
    code = (currency or "").strip().upper()
    if code not in SUPPORTED_CURRENCIES:
        raise CurrencyNotSold(
            gettext("Choose a currency: %(currencies)s.")
            % {"currencies": ", ".join(currencies_in_order(set(SUPPORTED_CURRENCIES)))},
            field="currency",
        )
    return code


def plan_price_for(*, plan: Plan, cycle: str, currency: str) -> PlanPrice:
    """The plan's price for `cycle` in `currency`, read from the database (what a purchase or
    a bill charges); NotFound for a cycle it is not sold with, CurrencyNotSold for a currency
    it has no price in (the message names the ones it has)."""
    if cycle not in BillingCycle.values:
        raise NotFound(
            gettext("Choose a billing cycle: %(cycles)s.")
            % {"cycles": ", ".join(BillingCycle.values)},
            field="billing_cycle",
        )
    currency = currency_check(currency=currency)
    prices = list(PlanPrice.objects.filter(plan=plan, cycle=cycle).select_related("plan"))
    if not prices:
        raise NotFound(
            gettext("%(plan)s is not sold with %(cycle)s billing.")
            % {"plan": plan.name, "cycle": BillingCycle(cycle).label.lower()},
            field="billing_cycle",
        )
    price = next((p for p in prices if p.currency == currency), None)
    if price is None:
        sold_in = ", ".join(currencies_in_order({p.currency for p in prices}))
        raise CurrencyNotSold(
            gettext("%(plan)s has no %(cycle)s price in %(currency)s; it is sold in %(sold_in)s.")
            % {
                "plan": plan.name,
                "cycle": BillingCycle(cycle).label.lower(),
                "currency": currency,
                "sold_in": sold_in,
            },
            field="currency",
        )

    return price


def country_check(*, country: str) -> str:
    """An ISO 3166 alpha-2 code the site knows (upper-cased), "" for none; DomainError else."""
    code = (country or "").strip().upper()
    # isascii + isalpha: "²" passes isdigit() and makes django-countries' numeric lookup fail.
    if code and not (code.isascii() and code.isalpha() and countries.alpha2(code)):
        raise ChoiceRefused(gettext("Choose a country from the list."), field="country")

    return countries.alpha2(code) if code else ""


def price_tax_for(*, country: str, vat_number: str = "") -> TaxDecision | None:
    """The tax a buyer in `country` would pay today, for showing gross prices; None when the
    country is not known (prices are then shown net only)."""
    if not country:
        return None
    return tax_for(country=country, vat_number=vat_number, on=timezone.now().date())
