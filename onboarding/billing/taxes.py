"""Billing's side of tax (docs/billing.md, "Tax"): which rate an invoice pays is decided by
tax/selectors.tax_for from the customer's billing country and VAT number on the issue date;
here the decision becomes lines and totals.

- Each line carries its rate; its tax is its net at that rate, rounded half up (per line, not
  per invoice), so a document's tax is the sum of its lines' taxes and its total the sum of
  nets plus that.
- The summary per rate (rate, net, tax) is what invoices and credit notes print.
- A rate missing from the table for a customer's country is the system's fault: an admin
  alert (tax/services.py), one per country however many sales and invoices it stops, open
  until a rate is in force again.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import wraps
from typing import ParamSpec, TypeVar

from django.utils.translation import gettext

from onboarding.core import clock
from onboarding.core.money import Money
from onboarding.tax.models import percent_of
from onboarding.tax.selectors import TaxDecision, TaxRateMissing, TaxRates, tax_for
from onboarding.tax.services import tax_missing_alert
from onboarding.tax.wording import tax_label_text


def customer_tax(*, customer, on: date, rates: TaxRates | None = None) -> TaxDecision:
    """The tax decision for `customer` (billing country and VAT number) on the day `on`."""
    return tax_for(
        country=str(customer.country or ""), vat_number=customer.vat_number, on=on, rates=rates
    )


def line_tax_minor(net_minor: int, rate_bp: int, currency: str) -> int:
    """One line's tax: its net at its rate, rounded half up (Money.percentage)."""
    return Money(net_minor, currency).percentage(rate_bp).amount_minor


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal_minor: int
    tax_minor: int
    total_minor: int


def totals_of(lines: Iterable[tuple[int, int]]) -> Totals:
    """A document's totals from its lines' (net, tax): sums, never a tax on the sum."""
    subtotal = tax = 0
    for net_minor, tax_minor in lines:
        subtotal += net_minor
        tax += tax_minor
    return Totals(subtotal_minor=subtotal, tax_minor=tax, total_minor=subtotal + tax)


@dataclass(frozen=True, slots=True)
class TaxSummaryRow:
    """One rate of a document: the nets of its lines at that rate and their taxes."""

    rate_bp: int
    label: str
    net: Money
    tax: Money

    @property
    def rate_percent(self) -> str:
        return percent_of(self.rate_bp)


def tax_summary(
    lines: Iterable[tuple[int, int, int]],
    *,
    currency: str,
    name: str = "VAT",
    reverse_charge: bool = False,
) -> list[TaxSummaryRow]:
    """Per rate, highest first: the lines' (net, rate_bp, tax) added up; labels in the active
    language (a document renders in its own)."""
    by_rate: dict[int, tuple[int, int]] = {}
    for net_minor, rate_bp, tax_minor in lines:
        net, tax = by_rate.get(rate_bp, (0, 0))
        by_rate[rate_bp] = (net + net_minor, tax + tax_minor)
    return [
        TaxSummaryRow(
            rate_bp=rate_bp,
            label=tax_label_text(name, rate_bp, reverse_charge),
            net=Money(net, currency),
            tax=Money(tax, currency),
        )
        for rate_bp, (net, tax) in sorted(by_rate.items(), reverse=True)
    ]


P = ParamSpec("P")
R = TypeVar("R")


def tax_missing_refused(service: Callable[P, R]) -> Callable[P, R]:
    """Decorate a service whose `customer` (or `subscription`'s customer) may meet a gap in the
    rates table: the refusal (TaxRateMissing, a field error on "country") reaches the caller as
    it is, and an admin is alerted once the service's own transaction has rolled back (put this
    outside it)."""

    @wraps(service)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return service(*args, **kwargs)
        except TaxRateMissing:
            customer = kwargs.get("customer") or getattr(
                kwargs.get("subscription"), "customer", None
            )
            tax_missing_alert(
                country=str(getattr(customer, "country", "") or ""),
                on=clock.now().date(),
                customer_id=getattr(customer, "pk", None),
            )
            raise

    return run


def purchase_tax(*, customer, on: date) -> TaxDecision:
    """The tax a purchase made on `on` will be invoiced with; a gap in the rates table for the
    customer's country is refused before anything is created, in words for the customer."""
    try:
        return customer_tax(customer=customer, on=on)
    except TaxRateMissing as missing:
        raise TaxRateMissing(
            gettext(
                "We cannot invoice customers in your billing country at the moment: its tax rate "
                "is missing on our side. Our team has been told; please try again later."
            ),
            field="country",
        ) from missing
