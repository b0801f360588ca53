from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.numbers import format_percent
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django_countries.fields import CountryField


class TaxRate(models.Model):
    """A country's standard VAT (or sales tax) rate from a day on. The rate in force on a day is
    the row with the latest `valid_from` on or before it; a change of rate is a new row, so an
    invoice issued before the change keeps the rate it was issued with."""

    country = CountryField()
    rate_bp = models.PositiveIntegerField(help_text="In basis points: 1900 is 19%.")
    valid_from = models.DateField(help_text="The first day this rate applies.")
    name = models.CharField(
        max_length=40, default="VAT", help_text="What the tax is called on invoices: VAT, GST..."
    )
    note = models.CharField(
        max_length=200, blank=True, help_text="Where the rate comes from, for the next reader."
    )

    class Meta:
        ordering = ["country", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "valid_from"], name="one_tax_rate_per_country_day"
            ),
            models.CheckConstraint(
                condition=models.Q(rate_bp__lte=10000), name="tax_rate_at_most_100pct"
            ),
        ]

    def __str__(self) -> str:
        rate = percent_of(self.rate_bp, language="en")  # a record's name: one language
        return f"{self.country.code} {rate} from {self.valid_from:%Y-%m-%d}"

    def clean(self) -> None:
        if self.rate_bp is not None and self.rate_bp > 10000:
            raise ValidationError({"rate_bp": "A rate is at most 10000 basis points (100%)."})

    @property
    def rate_percent(self) -> str:
        return percent_of(self.rate_bp)


def percent_of(rate_bp: int, *, language: str | None = None) -> str:
    """A rate in basis points as `language` (default: the active one) writes a percentage:
    1900 -> "19%" and 2550 -> "25.5%" in English, "19\u00a0%" and "25,5\u00a0%" in German and
    French; every decimal the rate has is kept."""
    name = translation.to_locale(language or translation.get_language() or "en")
    try:
        locale = Locale.parse(name)
    except (ValueError, UnknownLocaleError):
        locale = Locale.parse("en")
    return format_percent(Decimal(rate_bp) / 10000, locale=locale, decimal_quantization=False)
