from django.contrib import admin
from django.forms.models import model_to_dict

from onboarding.audit.services import audit_diff, audit_record
from onboarding.catalog.models import Plan, PlanPrice, Product


class AuditedAdmin(admin.ModelAdmin):
    """Catalog edits by admins go to the audit log with the fields they changed."""

    def save_model(self, request, obj, form, change) -> None:
        before = model_to_dict(type(obj).objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        audit_record(
            action=f"catalog.{obj._meta.model_name}_{'updated' if change else 'created'}",
            actor=request.user,
            target=obj,
            changes=audit_diff(before=before, after=model_to_dict(obj)),
        )

    def delete_model(self, request, obj) -> None:
        audit_record(
            action=f"catalog.{obj._meta.model_name}_deleted", actor=request.user, target=obj
        )
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
