import pytest
from hypothesis import given
from hypothesis import strategies as st

from onboarding.core.money import Money, parse_major


def test_percentage_rounds_half_up():
    assert Money(1005, "EUR").percentage(1000) == Money(101, "EUR")  # 100.5 -> 101
    assert Money(1004, "EUR").percentage(1000) == Money(100, "EUR")


def test_mixing_currencies_is_refused():
    with pytest.raises(ValueError):
        Money(100, "EUR") + Money(100, "USD")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        Money(10.5, "EUR")


def test_format_uses_the_currency_exponent():
    assert Money(123456, "EUR").format() == "1,234.56 EUR"
    assert Money(1234, "JPY").format() == "1,234 JPY"
    assert Money(-5, "USD").format() == "-0.05 USD"


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_parse_major_reads_what_format_writes(amount):
    money = Money(amount, "EUR")
    assert parse_major(money.format().split()[0].replace(",", ""), "EUR") == money


# "٣" and fullwidth digits are digits int() reads; "²" one it cannot.
NOT_ASCII = ["٣", "1.٣", "\uff11\uff12", "²", "1.²"]


@pytest.mark.parametrize("text", ["", "abc", "1.234", "1..2", "--1", "1e3", " . ", *NOT_ASCII])
def test_parse_major_refuses_malformed_amounts(text):
    with pytest.raises(ValueError):
        parse_major(text, "EUR")
