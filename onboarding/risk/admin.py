from django.contrib import admin

from onboarding.risk.models import RiskEvent


class CustomerKindFilter(admin.SimpleListFilter):
    """Real customers' risks (the board's) or test customers' (on a test clock's time)."""

    title = "customer"
    parameter_name = "customer_kind"

    def lookups(self, request, model_admin):
        return [("real", "Real customers"), ("test", "Test customers (test clocks)")]

    def queryset(self, request, queryset):
        if self.value() == "real":
            return queryset.operational()
        if self.value() == "test":
            return queryset.filter(customer__test_clock__isnull=False)
        return queryset


@admin.register(RiskEvent)
class RiskEventAdmin(admin.ModelAdmin):
    """Read-only: the stream's record is never edited; resolve risks on the board."""

    list_display = ["occurred_at", "type", "level", "contract", "state"]
    list_filter = [CustomerKindFilter, "type", "level", "state"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
