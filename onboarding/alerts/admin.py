from django.contrib import admin

from onboarding.alerts.models import AdminAlert


@admin.register(AdminAlert)
class AdminAlertAdmin(admin.ModelAdmin):
    """Read-only: alerts change state through the staff page and its services, which audit."""

    list_display = ("id", "reason", "severity", "state", "object_type", "object_id", "count")
    list_filter = ("state", "severity", "reason")
    search_fields = ("reason", "message", "object_id")
    ordering = ("-last_seen_at",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
