from django.contrib import admin

from onboarding.risk.models import RiskEvent


@admin.register(RiskEvent)
class RiskEventAdmin(admin.ModelAdmin):
    """Read-only: the stream's record is never edited; resolve risks on the board."""

    list_display = ["occurred_at", "type", "level", "contract", "state"]
    list_filter = ["type", "level", "state"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
