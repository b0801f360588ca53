"""Read-only admin of webhooks: the endpoints (deleted ones too, with their delivery log, kept for
the audit trail), the deliveries with their attempts, and replays. Endpoints are registered,
changed and deleted on the staff pages (/staff/webhooks/) or the API, through the audited
services that check the URL and make the secret; never here. Secrets are never shown."""

from django.contrib import admin

from onboarding.core.read_only_admin import ReadOnlyAdmin
from onboarding.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookReplay,
)


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ("number", "started_at", "duration_ms", "status_code", "succeeded", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-number",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ("id", "url", "description", "paused", "disabled_at", "deleted_at")
    list_filter = ("paused",)
    search_fields = ("url", "description")
    ordering = ("-id",)
    exclude = ("secret", "previous_secret")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "webhook_id",
        "event_type",
        "endpoint",
        "kind",
        "status",
        "attempts",
        "created_at",
        "last_status_code",
    )
    list_filter = ("status", "kind", "event_type")
    search_fields = ("=webhook_id", "event_type")
    list_select_related = ("endpoint",)
    ordering = ("-id",)
    inlines = [AttemptInline]


@admin.register(WebhookReplay)
class WebhookReplayAdmin(ReadOnlyAdmin):
    list_display = ("id", "endpoint", "starts_at", "ends_at", "state", "queued", "created_at")
    list_filter = ("state",)
    list_select_related = ("endpoint",)
    ordering = ("-id",)
