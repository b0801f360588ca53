import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onboarding.payments.cards import brand_of, card_expired, luhn_valid, normalize_number


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242 4242 4242 4242", "visa"),
        ("5555-5555-5555-4444", "mastercard"),
        ("2223003122003222", "mastercard"),
        ("378282246310005", "amex"),
        ("6011111111111117", "discover"),
    ],
)
def test_stripe_test_numbers_pass_luhn_and_get_their_brand(number, brand):
    digits = normalize_number(number)
    assert luhn_valid(digits)
    assert brand_of(digits) == brand


def test_a_changed_digit_fails_luhn():
    assert not luhn_valid("4242424242424241")


@given(st.text(max_size=30))
def test_luhn_never_raises_on_any_text(text):
    assert luhn_valid(text) in {True, False}


def test_a_card_is_good_through_the_last_day_of_its_month():
    assert not card_expired(2, 2028, today=dt.date(2028, 2, 29))
    assert card_expired(2, 2028, today=dt.date(2028, 3, 1))
