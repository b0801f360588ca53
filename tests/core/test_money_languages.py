"""Money in every supported language and currency (docs/i18n.md): the reader's language with
their country's way of writing it, through the project's one helper (core.money.locale_for)."""

import pytest
from babel import Locale
from babel.numbers import get_currency_symbol, get_minus_sign_symbol, parse_decimal
from django.conf import settings
from django.template import Context, Template
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from onboarding.core.money import SUPPORTED_CURRENCIES, Money, exponent_of, locale_for

LANGUAGES = [code for code, _name in settings.LANGUAGES]
COUNTRIES = ["", "DE", "AT", "CH", "FR", "BE", "LU", "IE", "GB", "US", "CA", "AU", "JP", "ZZ"]
SPACES = ("\xa0", "\u202f", " ")


@pytest.mark.parametrize(
    ("country", "language", "locale"),
    [
        ("DE", "en", "en_DE"),  # English as before: the customer's country's variant
        ("", "en", "en"),
        ("DE", "de", "de_DE"),
        ("CH", "de", "de_CH"),
        ("JP", "de", "de"),  # no German variant for Japan: German alone
        ("BE", "fr", "fr_BE"),
        ("US", "fr", "fr"),
        ("de", "fr-ch", "fr"),  # a regional language code is its language
        ("DE", "xx", "en_DE"),  # a language Babel does not know: English
    ],
)
def test_the_locale_is_the_readers_language_in_their_country(country, language, locale):
    assert locale_for(country=country, language=language) == locale


def test_without_a_language_the_active_one_is_used():
    with translation.override("de"):
        assert locale_for(country="AT") == "de_AT"
        assert Money(123456, "EUR").format(locale=locale_for(country="DE")) == "1.234,56\xa0€"
    with translation.override("fr"):
        assert Money(123456, "EUR").format(locale=locale_for(country="FR")) == "1\u202f234,56\xa0€"
    with translation.override("en"):
        assert Money(123456, "EUR").format(locale=locale_for(country="IE")) == "€1,234.56"


def test_the_template_filter_writes_money_in_the_active_language():
    template = Template("{% load money %}{{ a|money:'DE' }}|{{ a|money }}")
    amount = {"a": Money(99900, "EUR")}
    with translation.override("en"):  # byte-identical to before languages existed
        assert template.render(Context(amount)) == "999,00\xa0€|€999.00"
    with translation.override("de"):
        assert template.render(Context(amount)) == "999,00\xa0€|999,00\xa0€"
    with translation.override("fr"):
        assert template.render(Context(amount)) == "999,00\xa0€|999,00\xa0€"


def _parsed_minor(text: str, currency: str, locale: str) -> int:
    """Read back what format() wrote: drop the symbol and spaces, parse the number in the locale."""
    where = Locale.parse(locale)
    number = text.replace(get_currency_symbol(currency, locale=where), "").replace(currency, "")
    for space in SPACES:
        number = number.replace(space, "")
    # CLDR's minus may be U+2212 in some locales; Babel's parser reads the ASCII one.
    number = number.replace(get_minus_sign_symbol(where), "-").strip()
    return int(parse_decimal(number, locale=where, strict=True).scaleb(exponent_of(currency)))


@given(
    amount=st.integers(min_value=-(10**13), max_value=10**13),
    currency=st.sampled_from(SUPPORTED_CURRENCIES),
    language=st.sampled_from(LANGUAGES),
    country=st.sampled_from(COUNTRIES),
)
def test_money_in_every_language_and_currency_parses_back(amount, currency, language, country):
    locale = locale_for(country=country, language=language)
    assert locale.split("_")[0] == language
    text = Money(amount, currency).format(locale=locale)
    assert _parsed_minor(text, currency, locale) == amount, (text, locale)
