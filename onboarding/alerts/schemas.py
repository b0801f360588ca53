from datetime import datetime
from typing import Any

from ninja import Field, Schema

from onboarding.alerts.models import AlertSeverity, AlertState


class AlertOut(Schema):
    id: int
    reason: str
    message: str
    severity: AlertSeverity
    state: AlertState
    object_type: str
    object_id: str
    object_url: str
    customer_id: int | None
    context: dict[str, Any]
    count: int
    first_seen_at: datetime
    last_seen_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None = Field(None, alias="acknowledged_by.email")
    resolved_at: datetime | None
    # "system" when the alert closed itself (a later success of the same step).
    resolved_by: str | None = None
    resolved_automatically: bool
    resolution_note: str

    @staticmethod
    def resolve_resolved_by(alert) -> str | None:
        return alert.resolver_label or None


class AlertFilters(Schema):
    state: AlertState | None = None
    severity: AlertSeverity | None = None
    reason: str = Field("", max_length=64)


class AlertResolveIn(Schema):
    note: str = Field("", max_length=2000)
