"""The health score's weights and bands in the Django admin: one row, edited (audited as
"health.healthsettings_updated"), never added twice nor deleted. A change re-scores every
customer in the background (tasks.health_rescore_task), not in the request.

The managers' reviews of a fall into red are shown read-only: they are acknowledged and acted
on through the review page (/staff/health/reviews/<id>/), which audits each step."""

from django.contrib import admin
from django.db import transaction

from onboarding.audit.admin_edits import AuditedModelAdmin
from onboarding.health import events
from onboarding.health.models import HealthReview, HealthSettings
from onboarding.health.tasks import health_rescore_enqueue


@admin.register(HealthSettings)
class HealthSettingsAdmin(AuditedModelAdmin):
    list_display = ["__str__", "red_below", "green_from", "updated_at"]
    fieldsets = [
        (
            "Weights: the most points each factor can cost",
            {
                "fields": [
                    "payment_weight",
                    "acceptance_weight",
                    "contract_weight",
                    "service_weight",
                    "card_weight",
                    "engagement_weight",
                ]
            },
        ),
        ("Bands", {"fields": ["red_below", "green_from"]}),
    ]

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not HealthSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        obj.pk = 1
        super().save_model(request, obj, form, change)
        if not change or form.changed_data:
            events.health_rescore_started(actor=request.user)
            generation = obj.updated_at.isoformat()
            transaction.on_commit(lambda: health_rescore_enqueue(generation=generation))


@admin.register(HealthReview)
class HealthReviewAdmin(admin.ModelAdmin):
    """Read-only: a review changes only through the review page's audited steps."""

    list_display = ["opened_at", "customer", "state", "score", "ack_due_at", "action", "due"]
    list_filter = ["state", "action"]
    search_fields = ["customer__company", "customer__user__email"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer", "snapshot", "acknowledged_by", "acted_by", "owner"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
