"""Money as the customer's locale writes it (Babel): symbol, separators, the currency's decimals."""

from decimal import Decimal

import pytest
from babel import Locale
from babel.numbers import get_currency_symbol, get_decimal_symbol, parse_decimal
from django.template import Context, Template
from hypothesis import given
from hypothesis import strategies as st

from onboarding.core.money import Money, exponent_of, locale_for


@pytest.mark.parametrize(
    ("money", "locale", "text"),
    [
        (Money(123456, "EUR"), "en_IE", "€1,234.56"),
        (Money(123456, "EUR"), "en_DE", "1.234,56\xa0€"),
        (Money(123456, "USD"), "en", "$1,234.56"),
        (Money(5, "GBP"), "en_GB", "£0.05"),
        (Money(-123456, "USD"), "en", "-$1,234.56"),
        (Money(1234, "JPY"), "en", "¥1,234"),  # zero-decimal: no ".00"
        (Money(1234, "JPY"), "en_DE", "1.234\xa0JP¥"),
        (Money(1234, "KWD"), "en", "KWD1.234"),  # three decimals, from ISO 4217
    ],
)
def test_money_is_written_as_the_locale_writes_it(money, locale, text):
    assert money.format(locale=locale) == text


def test_without_a_locale_the_format_stays_the_plain_one():
    assert Money(123456, "EUR").format() == str(Money(123456, "EUR")) == "1,234.56 EUR"


def test_an_unknown_locale_falls_back_to_english():
    assert Money(990, "EUR").format(locale="xx_YY") == "€9.90"


def test_the_amount_in_major_units_is_an_exact_decimal():
    assert Money(1005, "EUR").decimal == Decimal("10.05")
    assert Money(7, "JPY").decimal == Decimal("7")


@pytest.mark.parametrize(
    ("country", "locale"), [("IE", "en_IE"), ("de", "en_DE"), ("", "en"), ("ZZ", "en"), ("X", "en")]
)
def test_the_locale_is_english_with_the_customers_country_when_babel_knows_it(country, locale):
    assert locale_for(country=country) == locale


def test_the_template_filter_writes_money_for_the_country_given():
    template = Template("{% load money %}{{ a|money:'DE' }}|{{ a|money }}|{{ b|money:'IE' }}")
    text = template.render(Context({"a": Money(99900, "EUR"), "b": "not money"}))
    assert text == "999,00\xa0€|€999.00|not money"


LOCALES = ["en", "en_IE", "en_DE", "en_GB", "en_US", "en_CH", "en_FR"]


def _parsed_minor(text: str, currency: str, locale: str) -> int:
    """Read back what format() wrote: drop the symbol and spaces, parse the number in the locale."""
    where = Locale.parse(locale)
    number = text.replace(get_currency_symbol(currency, locale=where), "")
    number = number.replace(currency, "").replace("\xa0", "").replace(" ", "").strip()
    return int(parse_decimal(number, locale=where, strict=True).scaleb(exponent_of(currency)))


@given(
    amount=st.integers(min_value=-(10**13), max_value=10**13),
    currency=st.sampled_from(["EUR", "USD", "GBP", "JPY"]),
    locale=st.sampled_from(LOCALES),
)
def test_formatted_money_parses_back_to_the_same_minor_units(amount, currency, locale):
    money = Money(amount, currency)
    text = money.format(locale=locale)
    if currency == "JPY":  # zero decimals: no decimal separator at all
        assert get_decimal_symbol(locale) not in text
    assert _parsed_minor(text, currency, locale) == amount
