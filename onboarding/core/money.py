"""Money as integer minor units and an ISO 4217 code. Never a float."""

import copy
import functools
from dataclasses import dataclass
from decimal import Decimal

from babel import Locale, localedata
from babel.numbers import parse_pattern
from django.utils import translation
from django.utils.functional import Promise, lazy

# Minor units per currency where it is not 2 (ISO 4217 exponent).
_EXPONENTS = {"JPY": 0, "KRW": 0, "ISK": 0, "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3}
SUPPORTED_CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY")
# What a customer pays in when they have not chosen yet.
DEFAULT_CURRENCY = "EUR"
# Money is written in the reader's language, the way their country writes it when Babel knows
# that variant ("en_DE": 1.234,50 €, "fr_FR": 1 234,50 €); English where nothing else is known.
DEFAULT_LOCALE = "en"


def currencies_in_order(currencies: set[str] | list[str]) -> list[str]:
    """The default currency first, then the others as SUPPORTED_CURRENCIES lists them."""
    order = [DEFAULT_CURRENCY, *(c for c in SUPPORTED_CURRENCIES if c != DEFAULT_CURRENCY)]
    return sorted(set(currencies), key=lambda c: (order.index(c) if c in order else len(order), c))


def exponent_of(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


@dataclass(frozen=True, slots=True)
class Money:
    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount_minor, int) or isinstance(self.amount_minor, bool):
            raise TypeError("Money.amount_minor must be an int of minor units")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"not an ISO 4217 currency code: {self.currency!r}")

    def _same_currency(self, other: "Money") -> None:
        if self.currency != other.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def __add__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.amount_minor, self.currency)

    def __lt__(self, other: "Money") -> bool:
        self._same_currency(other)
        return self.amount_minor < other.amount_minor

    def __le__(self, other: "Money") -> bool:
        self._same_currency(other)
        return self.amount_minor <= other.amount_minor

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(0, currency)

    def times(self, quantity: int) -> "Money":
        return Money(self.amount_minor * quantity, self.currency)

    def percentage(self, basis_points: int) -> "Money":
        """This amount times basis_points / 10000, rounded half up (away from zero on ties)."""
        numerator = self.amount_minor * basis_points
        sign = -1 if numerator < 0 else 1
        quotient, remainder = divmod(abs(numerator), 10000)
        if remainder * 2 >= 10000:
            quotient += 1
        return Money(sign * quotient, self.currency)

    @property
    def decimal(self) -> Decimal:
        """The amount in major units, exact: Money(1250, "EUR") -> Decimal("12.50")."""
        return Decimal(self.amount_minor).scaleb(-exponent_of(self.currency))

    def format(self, locale: str | None = None) -> str:
        """ "1,234.50 EUR" without a locale (stable: logs, audit, plain text); with one, as
        that locale writes money, symbol and separators included ("en_DE": "1.234,50 €"),
        with the currency's own number of decimals (none for JPY)."""
        if locale is not None:
            return _format_localized(self, locale)
        exp = exponent_of(self.currency)
        sign = "-" if self.amount_minor < 0 else ""
        whole, minor = divmod(abs(self.amount_minor), 10**exp)
        text = f"{whole:,}" + (f".{minor:0{exp}d}" if exp else "")
        return f"{sign}{text} {self.currency}"

    def __str__(self) -> str:
        return self.format()


@functools.lru_cache(maxsize=256)
def _locale(name: str) -> Locale:
    return Locale.parse(name if localedata.exists(name) else DEFAULT_LOCALE)


def _format_localized(money: Money, locale: str) -> str:
    where = _locale(locale)
    exp = exponent_of(money.currency)
    # The locale's currency pattern, with as many decimals as the currency has minor units
    # (CLDR's own digits differ from ISO 4217 for a few currencies); a copy, as Babel caches it.
    pattern = copy.copy(parse_pattern(where.currency_formats["standard"]))
    pattern.frac_prec = (exp, exp)
    return pattern.apply(money.decimal, where, currency=money.currency, currency_digits=False)


def locale_for(*, country: str = "", language: str | None = None) -> str:
    """The locale money is written in for a customer in `country` (ISO 3166 alpha-2) reading
    `language` (default: the active one, docs/i18n.md): "de_AT", else the language alone ("de"
    for a German reader in Japan). English keeps its old rule: "en_<country>" when Babel knows
    that variant, else "en"."""
    country = str(country or "").upper()
    language = _base_language(language if language is not None else translation.get_language())
    if len(country) == 2 and country.isalpha() and localedata.exists(f"{language}_{country}"):
        return f"{language}_{country}"
    return language


def money_for_reader(money: Money, *, country: str = "") -> str:
    """Money for a reader in the active language, where English keeps the plain "1,178.10 EUR"
    it always had (staff pages, flags, subjects) and other languages read it the way `country`
    writes it ("1.178,10 €" in German for Germany)."""
    if _base_language(translation.get_language()) == DEFAULT_LOCALE:
        return str(money)
    return money.format(locale_for(country=str(country or "")))


def _money_in_text(money: Money, country: str) -> str:
    return money_for_reader(money, country=country)


_money_in_text_lazy = lazy(_money_in_text, str)


def money_in_text(money: Money, *, country: str = "") -> Promise:
    """Money inside a lazy sentence (a notice's subject): written when the sentence is, in its
    language, the way the reader's `country` writes it ("1.178,10 €" in German for Germany).
    English keeps the plain "1,178.10 EUR" it always had, so English subjects do not change."""
    return _money_in_text_lazy(money, str(country or ""))


def _base_language(code: str | None) -> str:
    base = str(code or "").replace("-", "_").split("_")[0].lower()
    return base if base and base.isalpha() and localedata.exists(base) else DEFAULT_LOCALE


def parse_major(text: str, currency: str) -> Money:
    """'12.50' in EUR -> Money(1250, 'EUR'); exact, no float on the way; ValueError if malformed."""
    exp = exponent_of(currency)
    text = text.strip()
    negative = text.startswith("-")
    digits = text[1:] if text[:1] in {"+", "-"} else text
    whole, _, fraction = digits.partition(".")
    # isascii: "²" passes isdigit() and fails int(); int() reads "٣" as 3.
    if not digits.isascii() or not whole.isdigit() or (fraction and not fraction.isdigit()):
        raise ValueError(f"not an amount in {currency}: {text!r}")
    if len(fraction) > exp:
        raise ValueError(f"not an amount in {currency}: {text!r}")
    minor = int(whole) * 10**exp + (int(fraction.ljust(exp, "0")) if exp else 0)
    return Money(-minor if negative else minor, currency)
