"""Card-number checks that need no gateway: digits, Luhn, brand, expiry."""

import calendar
import datetime as dt
import re

from onboarding.core import clock
from onboarding.core.cardmask import luhn_valid as core_luhn_valid

_NON_DIGITS = re.compile(r"[\s-]")
_BRANDS = [
    ("amex", re.compile(r"^3[47]")),
    ("visa", re.compile(r"^4")),
    ("mastercard", re.compile(r"^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))")),
    ("discover", re.compile(r"^(6011|65|64[4-9])")),
    ("jcb", re.compile(r"^35")),
    ("diners", re.compile(r"^3(0[0-5]|[68])")),
]


def normalize_number(number: str) -> str:
    return _NON_DIGITS.sub("", number or "")


def is_ascii_digits(text: str) -> bool:
    # str.isdigit() also accepts "²" and other digits int() cannot read.
    return bool(text) and text.isascii() and text.isdigit()


def luhn_valid(digits: str) -> bool:
    """The Luhn check of a card number typed at checkout: ASCII digits only."""
    return is_ascii_digits(digits) and core_luhn_valid(digits)


def brand_of(digits: str) -> str:
    for brand, pattern in _BRANDS:
        if pattern.match(digits):
            return brand
    return "unknown"


def card_expired(exp_month: int, exp_year: int, *, today: dt.date | None = None) -> bool:
    """A card is good through the last day of its expiry month."""
    today = today or clock.now().date()
    last_day = calendar.monthrange(exp_year, exp_month)[1]
    return dt.date(exp_year, exp_month, last_day) < today


# Cards are issued for at most this many years; a later year is a typing slip.
LONGEST_VALIDITY_YEARS = 25
# A four-digit year before this is not a card's expiry but a slip (a birth year, "0202").
FIRST_CARD_YEAR = 1950


def expiry_errors(exp_month: int, exp_year: int) -> dict[str, str]:
    """Field errors for an expiry date: a month or year that cannot be one, or a card that has
    expired (said as such, with the month it expired in)."""
    errors = {}
    month_ok = 1 <= exp_month <= 12
    if not month_ok:
        errors["exp_month"] = "Enter the expiry month as a number from 1 to 12."
    current_year = clock.now().year
    if not FIRST_CARD_YEAR <= exp_year <= current_year + LONGEST_VALIDITY_YEARS:
        errors["exp_year"] = "Enter the four-digit expiry year shown on the card."
    elif month_ok and card_expired(exp_month, exp_year):
        month = calendar.month_name[exp_month]
        errors["exp_year" if exp_year < current_year else "exp_month"] = (
            f"This card expired in {month} {exp_year}. Use a card that is still valid."
        )
    return errors
