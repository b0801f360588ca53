from django.contrib import admin

from onboarding.acceptance.models import RequirementTemplate, Review, Timer
from onboarding.audit.admin_edits import AuditedModelAdmin


@admin.register(RequirementTemplate)
class RequirementTemplateAdmin(AuditedModelAdmin):
    """A plan's standard requirements; new contracts' capture starts from these."""

    list_display = ["plan", "position", "title"]
    list_filter = ["plan"]
    ordering = ["plan", "position"]


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    """Read-only: reviews move only through the acceptance pages and API."""

    list_display = ["contract", "rating", "state", "opened_at", "ack_due_at", "overdue_at"]
    list_filter = ["rating", "state"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Timer)
class TimerAdmin(ReviewAdmin):
    list_display = ["kind", "contract", "due_at", "state", "fired_at", "cancelled_at"]
    list_filter = ["kind", "state"]
