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
    model = PlanPrice
    extra = 0


@admin.register(Product)
class ProductAdmin(AuditedAdmin):
    list_display = ["name", "released_on"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Plan)
class PlanAdmin(AuditedAdmin):
    list_display = ["name", "product", "tier", "currency", "tax_rate_bp", "is_active", "sort_order"]
    list_filter = ["is_active", "tier", "product"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PlanPriceInline]
