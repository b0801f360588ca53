import json

from django import forms
from django.contrib import admin
from django.db import models

from onboarding.audit.admin_edits import AuditedModelAdmin
from onboarding.catalog.models import Plan, PlanPrice, Product


class PlanPriceInline(admin.TabularInline):
    """One row per cycle and currency: each is priced on its own, net of tax (tax follows the
    customer's country: the tax app's rates)."""

    model = PlanPrice
    extra = 0
    fields = ["cycle", "currency", "amount_minor"]
    ordering = ["currency", "cycle"]


class TranslationsField(forms.JSONField):
    """The translations as staff read them: indented, one language and field per line, accents
    as written (not as escape codes)."""

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2, cls=self.encoder)


class TranslatedAdmin(AuditedModelAdmin):
    """The row's prose in the other languages is edited as one JSON object
    ({"de": {"summary": "..."}, "fr": {...}}, docs/i18n.md); the model's clean() refuses a
    language the site does not speak or a field that is not translated, as an error on the
    field."""

    formfield_overrides = {
        models.JSONField: {
            "form_class": TranslationsField,
            "widget": forms.Textarea(attrs={"rows": 14, "cols": 90, "class": "vLargeTextField"}),
        }
    }

    @admin.display(description="translated into")
    def languages(self, row) -> str:
        return ", ".join(sorted(row.translations or {})) or "English only"


@admin.register(Product)
class ProductAdmin(TranslatedAdmin):
    list_display = ["name", "released_on", "languages"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Plan)
class PlanAdmin(TranslatedAdmin):
    list_display = ["name", "product", "tier", "currencies", "languages", "is_active", "sort_order"]
    list_filter = ["is_active", "tier", "product"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PlanPriceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product").prefetch_related("prices")

    @admin.display(description="currencies")
    def currencies(self, plan: Plan) -> str:
        return ", ".join(plan.currencies) or "none"
