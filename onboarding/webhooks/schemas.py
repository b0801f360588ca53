from datetime import datetime

from ninja import Field, Schema
from pydantic import field_validator

from onboarding.webhooks.models import DeliveryKind, DeliveryStatus, ReplayState


class WebhookEventTypeOut(Schema):
    type: str
    version: int
    description: str


class WebhookEndpointDeletedOut(Schema):
    id: int
    cancelled_deliveries: int


class WebhookEndpointOut(Schema):
    id: int
    url: str
    description: str
    event_types: list[str] = Field(description="Empty: every event type.")
    paused: bool
    state: str = Field(description="active, paused or disabled (after failing for 3 days).")
    disabled_at: datetime | None
    disabled_reason: str
    previous_secret_expires_at: datetime | None
    created_at: datetime
    pending: int = 0
    failed: int = 0


class WebhookEndpointCreatedOut(WebhookEndpointOut):
    secret: str = Field(description="The signing secret: shown this once, store it now.")


class WebhookEndpointIn(Schema):
    url: str = Field(max_length=500)
    description: str = Field("", max_length=200)
    event_types: list[str] = Field(default_factory=list, max_length=100)


class WebhookEndpointPatchIn(Schema):
    url: str | None = Field(None, max_length=500)
    description: str | None = Field(None, max_length=200)
    event_types: list[str] | None = Field(None, max_length=100)
    paused: bool | None = Field(None, description="false also resumes a disabled endpoint.")


class WebhookRotateIn(Schema):
    overlap_seconds: int | None = Field(None, ge=0, le=30 * 86400)


class WebhookSecretOut(Schema):
    id: int
    secret: str = Field(description="The new signing secret: shown this once.")
    previous_secret_expires_at: datetime | None


class WebhookAttemptOut(Schema):
    number: int
    started_at: datetime
    duration_ms: int
    status_code: int | None
    response_excerpt: str
    error: str
    succeeded: bool
    next_attempt_at: datetime | None


class WebhookDeliveryOut(Schema):
    id: int
    webhook_id: str = Field(description="The webhook-id header: evt_<audit entry id>.")
    audit_entry_id: int
    event_type: str
    kind: DeliveryKind
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    finished_at: datetime | None
    last_status_code: int | None
    last_error: str
    log: list[WebhookAttemptOut] = Field(description="Every attempt, newest first.")

    @staticmethod
    def resolve_next_attempt_at(delivery) -> datetime | None:
        return delivery.next_attempt_at if delivery.status == DeliveryStatus.PENDING else None

    @staticmethod
    def resolve_log(delivery) -> list:
        return list(delivery.log.all())


class WebhookDeliveryFilters(Schema):
    status: DeliveryStatus | None = None


class WebhookReplayIn(Schema):
    starts_at: datetime
    ends_at: datetime

    @field_validator("starts_at", "ends_at")
    @classmethod
    def aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give a time zone, e.g. 2026-01-01T00:00:00Z")
        return value


class WebhookReplayOut(Schema):
    id: int
    starts_at: datetime
    ends_at: datetime
    state: ReplayState
    queued: int
    created_at: datetime
    finished_at: datetime | None
