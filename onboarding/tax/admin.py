from django.contrib import admin
from django.forms.models import model_to_dict

from onboarding.audit.services import audit_diff
from onboarding.tax import events
from onboarding.tax.models import TaxRate
from onboarding.tax.services import tax_rate_gaps_closed


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    """Admins keep the rates current: a change of rate is a new row from its first day, so
    issued invoices keep theirs. Every edit goes to the audit log."""

    list_display = ["country", "rate_percent", "valid_from", "name", "note"]
    list_filter = ["country"]
    ordering = ["country", "-valid_from"]

    def save_model(self, request, obj, form, change) -> None:
        before = model_to_dict(TaxRate.objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        events.tax_rate_saved(
            actor=request.user,
            rate=obj,
            created=not change,
            changes=audit_diff(before=before, after=model_to_dict(obj)),
        )
        tax_rate_gaps_closed(countries=[str(obj.country)], actor=request.user)

    def delete_model(self, request, obj) -> None:
        events.tax_rate_deleted(actor=request.user, rate=obj)
        super().delete_model(request, obj)
        tax_rate_gaps_closed(countries=[str(obj.country)], actor=request.user)

    def delete_queryset(self, request, queryset) -> None:
        countries = [str(rate.country) for rate in queryset]
        for rate in queryset:
            events.tax_rate_deleted(actor=request.user, rate=rate)
        super().delete_queryset(request, queryset)
        tax_rate_gaps_closed(countries=countries, actor=request.user)
