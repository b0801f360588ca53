"""Read-only admin of Stripe's webhook events: a record of what Stripe sent and what became of
it. An event is processed by the worker (stripe_events.py), never edited by hand."""

from django.contrib import admin

from onboarding.core.read_only_admin import ReadOnlyAdmin
from onboarding.payments.models import StripeEvent


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
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
