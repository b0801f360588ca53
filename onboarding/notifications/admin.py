"""Read-only admin views: notifications, the outbox and sent mail are records of what happened.

A dead outbox message is re-queued by the admin action, through the audited service. Inbox
messages are not here: only their recipient reads them (InboxMessage's access rule).
"""

from django.contrib import admin, messages

from onboarding.core.errors import DomainError
from onboarding.notifications.models import Notification, OutboxMessage, SentMail
from onboarding.notifications.services import outbox_requeue


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "recipient", "subject", "channels", "created_at")
    list_filter = ("kind",)
    search_fields = ("subject", "dedupe_key", "recipient__email", "to_email")
    list_select_related = ("recipient",)
    ordering = ("-id",)
    # The sealed copy of a secret-bearing email is for the relay alone (sealing.py).
    exclude = ("sealed_bodies",)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "topic", "status", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("status", "topic")
    search_fields = ("dedupe_key", "topic", "last_error")
    ordering = ("-id",)
    actions = ["requeue_dead"]

    @admin.action(description="Re-queue the selected dead messages")
    def requeue_dead(self, request, queryset) -> None:
        requeued = 0
        for message in queryset:
            try:
                outbox_requeue(message_id=message.pk, actor=request.user)
                requeued += 1
            except DomainError as exc:
                self.message_user(request, f"#{message.pk}: {exc.message}", messages.WARNING)
        self.message_user(request, f"Re-queued {requeued} message(s).")


@admin.register(SentMail)
class SentMailAdmin(ReadOnlyAdmin):
    list_display = ("id", "subject", "recipients_text", "sent_at")
    search_fields = ("subject", "recipients_text", "message_id")
    ordering = ("-sent_at",)
