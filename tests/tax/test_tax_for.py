"""The tax app's rules: the customer's country and VAT number decide, on the day, from the seeded
rates table; the seller is in Ireland (settings.BILLING_SELLER_COUNTRY, default IE)."""

from datetime import date

import pytest

from onboarding.tax.models import TaxRate
from onboarding.tax.selectors import (
    REVERSE_CHARGE_MENTION,
    TaxRateMissing,
    tax_for,
    tax_rates,
)

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 3)


@pytest.mark.parametrize(
    ("country", "rate_bp"),
    [("DE", 1900), ("FR", 2000), ("IE", 2300), ("HU", 2700), ("LU", 1700), ("GB", 2000)],
)
def test_a_consumer_pays_the_standard_rate_of_their_billing_country(country, rate_bp):
    decision = tax_for(country=country, on=DAY)
    assert (decision.rate_bp, decision.country, decision.reverse_charge) == (
        rate_bp,
        country,
        False,
    )
    assert decision.mention == ""


@pytest.mark.parametrize(
    ("day", "rate_bp"),
    [
        (date(2020, 6, 30), 1900),
        (date(2020, 7, 1), 1600),  # Germany's temporary cut, the second half of 2020
        (date(2020, 12, 31), 1600),
        (date(2021, 1, 1), 1900),
    ],
)
def test_the_rate_in_force_on_the_day_applies_across_a_change(day, rate_bp):
    assert tax_for(country="DE", on=day).rate_bp == rate_bp


def test_a_french_business_is_reverse_charged_by_a_seller_in_ireland():
    decision = tax_for(country="FR", vat_number="FR40303265045", on=DAY)
    assert (decision.rate_bp, decision.reverse_charge, decision.country) == (0, True, "FR")
    assert decision.mention == REVERSE_CHARGE_MENTION
    assert decision.label == "VAT 0% (reverse charge)"


def test_an_irish_business_pays_irish_vat_the_seller_being_irish():
    decision = tax_for(country="IE", vat_number="IE6388047V", on=DAY)
    assert (decision.rate_bp, decision.reverse_charge) == (2300, False)
    assert decision.label == "VAT 23%"


def test_a_british_customer_pays_20_percent_with_or_without_a_vat_number():
    assert tax_for(country="GB", on=DAY).rate_bp == 2000
    # The UK left the EU: no reverse charge for its VAT numbers.
    assert tax_for(country="GB", vat_number="GB980780684", on=DAY).rate_bp == 2000


def test_a_seller_elsewhere_reverse_charges_irish_businesses_and_taxes_its_own(settings):
    settings.BILLING_SELLER_COUNTRY = "DE"
    assert tax_for(country="IE", vat_number="IE6388047V", on=DAY).reverse_charge is True
    assert tax_for(country="DE", vat_number="DE136695976", on=DAY).rate_bp == 1900


def test_a_country_not_in_the_table_is_not_taxed_until_configured():
    decision = tax_for(country="US", on=DAY)
    assert (decision.rate_bp, decision.name, decision.reverse_charge) == (0, "Tax", False)
    TaxRate.objects.create(country="US", rate_bp=725, valid_from=date(2026, 1, 1), name="Tax")
    assert tax_for(country="US", on=DAY).rate_bp == 725


def test_a_day_before_a_countrys_first_rate_is_a_gap_in_the_table():
    TaxRate.objects.create(country="NO", rate_bp=2500, valid_from=date(2027, 1, 1))
    with pytest.raises(TaxRateMissing) as missing:
        tax_for(country="NO", on=DAY)
    assert (missing.value.field, missing.value.status_code) == ("country", 422)
    assert tax_for(country="NO", on=date(2027, 1, 1)).rate_bp == 2500


def test_the_table_is_read_once_for_many_decisions(django_assert_num_queries):
    with django_assert_num_queries(1):
        rates = tax_rates()
        decided = [
            tax_for(country=country, on=DAY, rates=rates).rate_bp
            for country in ("DE", "FR", "GB", "US") * 50
        ]
    assert decided[:4] == [1900, 2000, 2000, 0]
