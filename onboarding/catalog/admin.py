from django.contrib import admin
from django.forms.models import model_to_dict

from onboarding.audit.services import audit_diff
from onboarding.catalog.events import catalog_item_deleted, catalog_item_saved
from onboarding.catalog.models import Plan, PlanPrice, Product


class AuditedAdmin(admin.ModelAdmin):
    """Catalog edits by admins go to the audit log with the fields they changed."""

    def save_model(self, request, obj, form, change) -> None:
        before = model_to_dict(type(obj).objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        catalog_item_saved(
            actor=request.user,
            item=obj,
            created=not change,
            changes=audit_diff(before=before, after=model_to_dict(obj)),
        )

    def delete_model(self, request, obj) -> None:
        catalog_item_deleted(actor=request.user, item=obj)
        super().delete_model(request, obj)


class PlanPriceInline(admin.TabularInline):
    """One row per cycle and currency: each is priced on its own, net of tax (tax follows the
    customer's country: the tax app's rates)."""

    model = PlanPrice
    extra = 0
    fields = ["cycle", "currency", "amount_minor"]
    ordering = ["currency", "cycle"]


@admin.register(Product)
class ProductAdmin(AuditedAdmin):
    list_display = ["name", "released_on"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Plan)
class PlanAdmin(AuditedAdmin):
    list_display = ["name", "product", "tier", "currencies", "is_active", "sort_order"]
    list_filter = ["is_active", "tier", "product"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PlanPriceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product").prefetch_related("prices")

    @admin.display(description="currencies")
    def currencies(self, plan: Plan) -> str:
        return ", ".join(plan.currencies) or "none"
