from django.contrib import admin

from onboarding.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only, so the admin can look but never add, edit or delete."""

    list_display = (
        "id",
        "occurred_at",
        "action",
        "outcome",
        "actor_email",
        "object_type",
        "object_id",
        "customer_id",
        "seq",
    )
    list_filter = ("outcome", "actor_role")
    search_fields = ("action", "actor_email", "object_id", "request_id")
    date_hierarchy = "occurred_at"
    show_full_result_count = False  # a COUNT(*) over the whole log on every page is wasted work
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
