from django.contrib import admin

from onboarding.audit.models import AuditEntry
from onboarding.core.read_only_admin import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
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
