from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext

from onboarding.audit.admin_edits import AuditedModelAdmin
from onboarding.sla.models import (
    PublicHoliday,
    ServiceCreditCap,
    ServiceHours,
    ServiceWindow,
    SlaPolicy,
    windows_overlap,
)


class WindowFormSet(BaseInlineFormSet):
    """Overlaps among the windows of one form (the model's clean() sees only saved siblings,
    which the form may be changing)."""

    def clean(self) -> None:
        super().clean()
        kept = [
            f
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and not f.errors
        ]
        for i, form in enumerate(kept):
            data = form.cleaned_data
            for other in kept[:i]:
                o = other.cleaned_data
                if data["weekday"] == o["weekday"] and windows_overlap(
                    (data["opens"], data["closes"]), (o["opens"], o["closes"])
                ):
                    form.add_error(
                        "opens", gettext("This window overlaps another one on the same day.")
                    )
                    break
        if any(form.errors for form in kept):
            raise forms.ValidationError(gettext("Some windows overlap."))


class ServiceWindowInline(admin.TabularInline):
    model = ServiceWindow
    formset = WindowFormSet
    extra = 0
    fields = ["weekday", "opens", "closes"]


@admin.register(ServiceHours)
class ServiceHoursAdmin(AuditedModelAdmin):
    list_display = ["name", "time_zone", "always_open", "holiday_country"]
    inlines = [ServiceWindowInline]


@admin.register(PublicHoliday)
class PublicHolidayAdmin(AuditedModelAdmin):
    list_display = ["date", "name", "country"]
    list_filter = ["country"]
    date_hierarchy = "date"


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AuditedModelAdmin):
    list_display = [
        "plan",
        "severity",
        "first_response",
        "resolution",
        "service_hours",
        "breach_credit_percent",
    ]
    list_filter = ["plan", "severity", "service_hours"]
    list_select_related = ["plan", "service_hours"]


@admin.register(ServiceCreditCap)
class ServiceCreditCapAdmin(AuditedModelAdmin):
    list_display = ["plan", "percent_of_invoice"]
    list_select_related = ["plan"]
