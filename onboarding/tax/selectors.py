"""Which tax applies to a sale: the rate in force for the customer's country on the day, or the
reverse charge for a business elsewhere in the EU. Plain values in, a TaxDecision out, so the
bill run can decide thousands of invoices from one read of the rates table.

The rules (docs/billing.md, "Tax"):
- A business customer with a VAT number of another EU member state than the seller's pays no
  VAT: the reverse charge applies, and the invoice says so.
- Everyone else pays the standard rate of their billing country in force on the invoice date.
- A country with no rate in the table is not taxed until an admin configures it (0%); a country
  that has rates but none in force on the day is a gap in the table: TaxRateMissing.
"""

import bisect
from dataclasses import dataclass
from datetime import date

from django.conf import settings

from onboarding.core.errors import DomainError
from onboarding.tax.models import TaxRate, percent_of
from onboarding.tax.wording import REVERSE_CHARGE_MENTION, tax_label_text

# The member states of the European Union, by ISO 3166 code.
EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
# VAT numbers carry their country's ISO code as prefix, except Greece's (EL).
_VAT_PREFIX_COUNTRY = {"EL": "GR"}


class TaxRateMissing(DomainError):
    """The customer's country has rates, but none in force on the day: the table has a gap."""

    status_code = 422
    code = "tax_rate_missing"


@dataclass(frozen=True, slots=True)
class TaxDecision:
    rate_bp: int
    country: str
    reverse_charge: bool = False
    name: str = "VAT"

    @property
    def mention(self) -> str:
        """What the invoice must say about this tax beyond its rate."""
        return REVERSE_CHARGE_MENTION if self.reverse_charge else ""

    @property
    def rate_percent(self) -> str:
        return percent_of(self.rate_bp)

    @property
    def label(self) -> str:
        """ "VAT 19%", or "VAT 0% (reverse charge)", in the active language."""
        return tax_label_text(self.name, self.rate_bp, self.reverse_charge)


@dataclass(frozen=True, slots=True)
class TaxRates:
    """The rates table as read once: per country, its days of change in order and the rates."""

    by_country: dict[str, tuple[list[date], list[tuple[int, str]]]]

    def rate_on(self, country: str, day: date) -> tuple[int, str]:
        """(rate_bp, name) in force in `country` on `day`; (0, "Tax") for a country not in the
        table; TaxRateMissing for one whose first rate starts after `day`."""
        entry = self.by_country.get(country)
        if entry is None:
            return 0, "Tax"
        days, rates = entry
        index = bisect.bisect_right(days, day) - 1
        if index < 0:
            raise TaxRateMissing(
                f"No tax rate is in force for {country} on {day:%Y-%m-%d}.", field="country"
            )
        return rates[index]


def tax_rates() -> TaxRates:
    """The whole rates table: a few rows per country, read in one query."""
    by_country: dict[str, tuple[list[date], list[tuple[int, str]]]] = {}
    rows = TaxRate.objects.order_by("country", "valid_from").values_list(
        "country", "valid_from", "rate_bp", "name"
    )
    for country, valid_from, rate_bp, name in rows:
        days, rates = by_country.setdefault(str(country), ([], []))
        days.append(valid_from)
        rates.append((rate_bp, name))
    return TaxRates(by_country)


def vat_number_country(vat_number: str) -> str:
    """The ISO country of a (normalized) VAT number's prefix: "EL094259216" -> "GR"."""
    prefix = (vat_number or "")[:2].upper()
    return _VAT_PREFIX_COUNTRY.get(prefix, prefix)


def seller_country() -> str:
    return settings.BILLING_SELLER_COUNTRY


def is_reverse_charged(*, vat_number: str) -> bool:
    """A business sale to another EU member state than the seller's, with a VAT number (stored
    VAT numbers have passed their check digits, and VIES when that check is on)."""
    if not vat_number:
        return False
    country = vat_number_country(vat_number)
    return country in EU_COUNTRIES and country != seller_country()


def tax_for(
    *, country: str, vat_number: str = "", on: date, rates: TaxRates | None = None
) -> TaxDecision:
    """The tax of a sale to a customer billed in `country` (with `vat_number`, if a business)
    on the day `on`. Pass `rates` to decide many sales from one read of the table."""
    if is_reverse_charged(vat_number=vat_number):
        return TaxDecision(rate_bp=0, country=country, reverse_charge=True)
    rate_bp, name = (rates or tax_rates()).rate_on(country, on)
    return TaxDecision(rate_bp=rate_bp, country=country, name=name)
