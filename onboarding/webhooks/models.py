"""Outbound webhooks: endpoints admins register, one delivery per event and endpoint, the attempts
made for it, replays of a period, and the dispatcher's place in the audit log.

Every row is for admins only (@access_rule with the admin role): a delivery's body holds
customers' business events, and an endpoint holds a signing secret.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from onboarding.core.access import access_rule
from onboarding.core.roles import Role

ADMINS = frozenset({Role.ADMIN})

# WebhookEndpoint.state as staff read it; the codes stay what the API answers.
ENDPOINT_STATE_LABELS = {
    "active": pgettext_lazy("webhook endpoint", "active"),
    "paused": pgettext_lazy("webhook endpoint", "paused"),
    "disabled": pgettext_lazy("webhook endpoint", "disabled"),
    "deleted": pgettext_lazy("webhook endpoint", "deleted"),
}


class EndpointQuerySet(models.QuerySet):
    def live(self) -> "EndpointQuerySet":
        """Endpoints not deleted: the ones pages, the API and the dispatcher know."""
        return self.filter(deleted_at__isnull=True)

    def sending(self) -> "EndpointQuerySet":
        """Endpoints whose deliveries go out now: not deleted, neither paused nor disabled."""
        return self.live().filter(paused=False, disabled_at__isnull=True)


@access_rule(owner=None, staff=ADMINS)
class WebhookEndpoint(models.Model):
    """Where events are POSTed. `event_types` empty means every event type.

    `secret` signs every request; after a rotation `previous_secret` signs too (a second
    signature) until `previous_secret_expires_at`, so a receiver can switch without losing a
    request. Both are stored because signing needs them; neither is shown after it is made.

    Deleting keeps the row (`deleted_at`) with its delivery log, for the audit trail: it
    disappears from pages, the API and the dispatcher, its secrets are wiped, and its pending
    deliveries are cancelled (services.endpoint_delete).
    """

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list, blank=True)
    paused = models.BooleanField(default=False)
    # Set when a delivery failed for the whole retry period: nothing is sent until resumed.
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = EndpointQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"webhook endpoint {self.pk} {self.url}"

    @property
    def state_label(self) -> str:
        """The state as the staff pages say it, in the reader's language."""
        return str(ENDPOINT_STATE_LABELS[self.state])

    @property
    def state(self) -> str:
        if self.deleted_at is not None:
            return "deleted"
        if self.disabled_at is not None:
            return "disabled"
        return "paused" if self.paused else "active"

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types

    def signing_secrets(self, *, now) -> list[str]:
        """The secrets a request is signed with now: the current one, then the previous one
        while its overlap lasts."""
        secrets = [self.secret]
        expires = self.previous_secret_expires_at
        if self.previous_secret and expires is not None and now < expires:
            secrets.append(self.previous_secret)
        return secrets


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("webhook delivery", "Pending")
    SUCCEEDED = "succeeded", pgettext_lazy("webhook delivery", "Delivered")
    FAILED = "failed", pgettext_lazy("webhook delivery", "Failed")
    # Its endpoint was deleted before it was delivered: never sent (again).
    CANCELLED = "cancelled", pgettext_lazy("webhook delivery", "Cancelled")


class DeliveryKind(models.TextChoices):
    LIVE = "live", pgettext_lazy("webhook delivery kind", "Live")
    REPLAY = "replay", pgettext_lazy("webhook delivery kind", "Replay")
    RESEND = "resend", pgettext_lazy("webhook delivery kind", "Resend")


class DeliveryQuerySet(models.QuerySet):
    def pending(self) -> "DeliveryQuerySet":
        return self.filter(status=DeliveryStatus.PENDING)


@access_rule(owner=None, staff=ADMINS)
class WebhookDelivery(models.Model):
    """One event for one endpoint: the exact body signed on every attempt.

    `webhook_id` ("evt_<audit entry id>") is the Standard Webhooks message id: the same on every
    attempt, resend and replay, so a receiver can drop what it already has. Deliveries of one
    endpoint and one customer go out in `pk` order: a later one waits while an earlier one is
    pending (`customer_key` is the customer's id, 0 for events of no customer).
    """

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    audit_entry_id = models.BigIntegerField()
    webhook_id = models.CharField(max_length=64)
    event_type = models.CharField(max_length=64)
    customer_key = models.BigIntegerField(default=0)
    body = models.TextField()
    kind = models.CharField(max_length=8, choices=DeliveryKind.choices, default=DeliveryKind.LIVE)
    status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    # When the next attempt is due; while an attempt runs, the end of its lease.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-pk"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(
                fields=["endpoint", "customer_key", "id"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_queue_idx",
            ),
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_due_idx",
            ),
        ]
        constraints = [
            # A dispatch that runs twice (two overlapping ticks) cannot queue an event twice.
            models.UniqueConstraint(
                fields=["endpoint", "audit_entry_id"],
                condition=models.Q(kind="live"),
                name="webhook_delivery_live_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.webhook_id} {self.event_type} to endpoint {self.endpoint_id}"


@access_rule(owner=None, staff=ADMINS)
class WebhookAttempt(models.Model):
    """One POST of a delivery and what came back: the delivery log's row."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)
    succeeded = models.BooleanField(default=False)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"


class ReplayState(models.TextChoices):
    RUNNING = "running", pgettext_lazy("webhook replay", "Running")
    DONE = "done", pgettext_lazy("webhook replay", "Done")


@access_rule(owner=None, staff=ADMINS)
class WebhookReplay(models.Model):
    """Every event of [starts_at, ends_at) read again from the audit log, for one endpoint, a
    batch per worker tick; `after_seq` is how far it has read."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="replays")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    after_seq = models.BigIntegerField(default=0)
    queued = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=8, choices=ReplayState.choices, default=ReplayState.RUNNING)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"replay {self.pk} for endpoint {self.endpoint_id}"


class DispatchCursor(models.Model):
    """The last audit seq the dispatcher turned into deliveries: one row."""

    SINGLETON_ID = 1

    id = models.SmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    last_seq = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"webhook dispatch cursor at seq {self.last_seq}"
