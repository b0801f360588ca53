from django.contrib import admin

from onboarding.audit.admin_edits import AuditedModelAdmin
from onboarding.catalog.models import Plan, PlanPrice, Product


class PlanPriceInline(admin.TabularInline):
    """One row per cycle and currency: each is priced on its own, net of tax (tax follows the
    customer's country: the tax app's rates)."""

    model = PlanPrice
    extra = 0
    fields = ["cycle", "currency", "amount_minor"]
    ordering = ["currency", "cycle"]


@admin.register(Product)
class ProductAdmin(AuditedModelAdmin):
    list_display = ["name", "released_on"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Plan)
class PlanAdmin(AuditedModelAdmin):
    list_display = ["name", "product", "tier", "currencies", "is_active", "sort_order"]
    list_filter = ["is_active", "tier", "product"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PlanPriceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product").prefetch_related("prices")

    @admin.display(description="currencies")
    def currencies(self, plan: Plan) -> str:
        return ", ".join(plan.currencies) or "none"
