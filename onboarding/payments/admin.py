"""Read-only admin of Stripe's webhook events: a record of what Stripe sent and what became of
it. An event is processed by the worker (stripe_events.py), never edited by hand."""

from django.contrib import admin

from onboarding.payments.models import StripeEvent


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = (
        "stripe_id",
        "type",
        "received_at",
        "status",
        "attempts",
        "processed_at",
        "last_error",
    )
    list_filter = ("status", "type")
    search_fields = ("=stripe_id", "type", "object_id")
    date_hierarchy = "received_at"
    ordering = ("-received_at", "-id")
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
