from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from onboarding.catalog.snapshot import catalog_changed
from onboarding.catalog.translations import lines_of, text_in, translations_check
from onboarding.core.money import (
    DEFAULT_CURRENCY,
    SUPPORTED_CURRENCIES,
    Money,
    currencies_in_order,
)


class BillingCycle(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    ANNUAL = "annual", _("Annual")

    @property
    def months(self) -> int:
        return {"monthly": 1, "quarterly": 3, "annual": 12}[self.value]

    @classmethod
    def order(cls, field: str = "cycle") -> models.Case:
        """An ordering by `field` in the cycles' own order (monthly, quarterly, annual), the
        order the pricing page shows, where ordering by the value would put annual first."""
        return models.Case(
            *(models.When(**{field: cycle.value}, then=rank) for rank, cycle in enumerate(cls)),
            default=len(cls),
        )


class Tier(models.TextChoices):
    ESSENTIAL = "essential", "Essential"
    BUSINESS = "business", "Business"
    ENTERPRISE = "enterprise", "Enterprise"


class CatalogQuerySet(models.QuerySet):
    """Bulk writes tell the catalogue snapshot too (catalog/snapshot.py): a stale price on the
    pricing page is a wrong price."""

    def update(self, **kwargs) -> int:
        rows = super().update(**kwargs)
        catalog_changed()
        return rows

    def delete(self):
        deleted = super().delete()
        catalog_changed()
        return deleted

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        catalog_changed()
        return created

    def bulk_update(self, objs, fields, *args, **kwargs) -> int:
        rows = super().bulk_update(objs, fields, *args, **kwargs)
        catalog_changed()
        return rows


class CatalogModel(models.Model):
    """A row of the catalogue: every save and delete marks the catalogue changed."""

    objects = CatalogQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        catalog_changed()

    def delete(self, *args, **kwargs):
        deleted = super().delete(*args, **kwargs)
        catalog_changed()
        return deleted


TRANSLATIONS_HELP = (
    'Text in the other languages, by language and field, e.g. {"de": {"summary": "..."}, '
    '"fr": {...}}. Fields: %s. A missing or blank text is shown in English.'
)


class TranslatedModel(CatalogModel):
    """A catalogue row whose prose (TRANSLATED_FIELDS) has a text per language in
    `translations` (catalog/translations.py)."""

    TRANSLATED_FIELDS: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        try:
            self.translations = translations_check(self.translations, self.TRANSLATED_FIELDS)
        except ValidationError as refused:
            raise ValidationError({"translations": refused.error_list}) from refused

    def text(self, field: str, language: str | None = None) -> str:
        """`field` in `language` (default: the active one), falling back to English."""
        if field not in self.TRANSLATED_FIELDS:
            raise ValueError(f"{type(self).__name__}.{field} is not translated")
        return text_in(self.translations, field, getattr(self, field), language)


class Product(TranslatedModel):
    """What a support plan covers: a product the business supports."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    translations = models.JSONField(
        default=dict, blank=True, help_text=TRANSLATIONS_HELP % "description"
    )
    released_on = models.DateField(
        help_text="When the product was released; its age counts from here."
    )

    TRANSLATED_FIELDS = ("description",)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PlanQuerySet(CatalogQuerySet):
    def on_sale(self) -> "PlanQuerySet":
        return self.filter(is_active=True)


class Plan(TranslatedModel):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="plans")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    tier = models.CharField(max_length=16, choices=Tier.choices)
    summary = models.CharField(max_length=200)
    includes = models.TextField(help_text="What the service includes, one item per line.")
    response_time_hours = models.PositiveIntegerField(
        help_text="First response within this many hours."
    )
    term_months = models.PositiveSmallIntegerField(
        default=12, help_text="Length of one contract term."
    )
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)
    # Quantities: what one unit of the plan is called, and how many a subscription may hold.
    unit_name = models.CharField(max_length=40, default="seat")
    unit_name_plural = models.CharField(max_length=40, default="seats")
    min_quantity = models.PositiveIntegerField(default=1)
    max_quantity = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no limit.")
    translations = models.JSONField(
        default=dict,
        blank=True,
        help_text=TRANSLATIONS_HELP % "summary, includes (one item per line), unit_name, "
        "unit_name_plural",
    )

    TRANSLATED_FIELDS = ("summary", "includes", "unit_name", "unit_name_plural")

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return f"{self.product.name} · {self.name}"

    @property
    def include_lines(self) -> list[str]:
        """In English, as entered (a contract's terms snapshot takes its own language's)."""
        return lines_of(self.includes)

    def include_lines_in(self, language: str | None = None) -> list[str]:
        return lines_of(self.text("includes", language))

    def units_word(self, quantity: int, language: str | None = None) -> str:
        """The unit's word for `quantity` of it in `language`: "seat", "seats", "Plätze"."""
        return self.text("unit_name" if quantity == 1 else "unit_name_plural", language)

    @property
    def currencies(self) -> list[str]:
        """The currencies the plan is sold in (from its prefetched prices), default first."""
        return currencies_in_order({price.currency for price in self.prices.all()})

    def prices_in(self, currency: str) -> list["PlanPrice"]:
        """Its prices in `currency`, in the prefetched prices' order (by cycle)."""
        return [price for price in self.prices.all() if price.currency == currency]


class PlanPrice(CatalogModel):
    """The net price of a plan for one billing cycle in one currency: each cycle and currency is
    priced on its own (no exchange rates). Tax is not the plan's: it follows the customer's
    country (tax.selectors.tax_for)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="prices")
    cycle = models.CharField(max_length=16, choices=BillingCycle.choices)
    currency = models.CharField(
        max_length=3,
        choices=[(code, code) for code in SUPPORTED_CURRENCIES],
        default=DEFAULT_CURRENCY,
    )
    amount_minor = models.PositiveBigIntegerField(help_text="Net price per cycle in minor units.")

    class Meta:
        ordering = ["plan", "cycle", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "cycle", "currency"], name="one_price_per_plan_cycle_currency"
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.get_cycle_display()}: {self.amount}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)
