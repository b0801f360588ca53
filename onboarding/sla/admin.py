from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet, model_to_dict

from onboarding.audit.services import audit_diff
from onboarding.sla.events import sla_item_deleted, sla_item_saved
from onboarding.sla.models import (
    PublicHoliday,
    ServiceHours,
    ServiceWindow,
    SlaPolicy,
    windows_overlap,
)


class AuditedAdmin(admin.ModelAdmin):
    """Admins' edits of service-level terms go to the audit log with the fields they changed."""

    def save_model(self, request, obj, form, change) -> None:
        before = model_to_dict(type(obj).objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        sla_item_saved(
            actor=request.user,
            item=obj,
            created=not change,
            changes=audit_diff(before=before, after=model_to_dict(obj)),
        )

    def delete_model(self, request, obj) -> None:
        sla_item_deleted(actor=request.user, item=obj)
        super().delete_model(request, obj)


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
                    form.add_error("opens", "This window overlaps another one on the same day.")
                    break
        if any(form.errors for form in kept):
            raise forms.ValidationError("Some windows overlap.")


class ServiceWindowInline(admin.TabularInline):
    model = ServiceWindow
    formset = WindowFormSet
    extra = 0
    fields = ["weekday", "opens", "closes"]


@admin.register(ServiceHours)
class ServiceHoursAdmin(AuditedAdmin):
    list_display = ["name", "time_zone", "always_open", "holiday_country"]
    inlines = [ServiceWindowInline]


@admin.register(PublicHoliday)
class PublicHolidayAdmin(AuditedAdmin):
    list_display = ["date", "name", "country"]
    list_filter = ["country"]
    date_hierarchy = "date"


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AuditedAdmin):
    list_display = ["plan", "severity", "first_response", "resolution", "service_hours"]
    list_filter = ["plan", "severity", "service_hours"]
    list_select_related = ["plan", "service_hours"]
