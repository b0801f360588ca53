from datetime import date, datetime
from typing import Any

from ninja import Field, Schema
from pydantic import field_validator, model_validator

from onboarding.audit.models import Outcome
from onboarding.audit.selectors import AuditFilters

MAX_BIGINT = 2**63 - 1


class AuditListQuery(Schema):
    """Query parameters of GET /api/v1/staff/audit/: the page's filters plus limit/offset."""

    customer_id: int | None = Field(None, ge=1, le=MAX_BIGINT)
    object_type: str = Field("", max_length=80)
    object_id: str = Field("", max_length=64)
    action: str = Field("", max_length=80, description="prefix match: 'auth.' for all auth")
    actor_email: str = Field("", max_length=254)
    outcome: Outcome | None = None
    date_from: date | None = Field(None, description="inclusive, UTC")
    date_to: date | None = Field(None, description="inclusive, UTC")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)

    @field_validator("object_type", "object_id", "action", "actor_email")
    @classmethod
    def no_nul(cls, value: str) -> str:
        # PostgreSQL refuses NUL in text; refuse it here as bad input instead of a 500 there.
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value.strip()

    @model_validator(mode="after")
    def dates_in_order(self) -> "AuditListQuery":
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_to is before date_from")
        return self

    def filters(self) -> AuditFilters:
        return AuditFilters(
            customer_id=self.customer_id,
            object_type=self.object_type,
            object_id=self.object_id,
            action=self.action,
            actor_email=self.actor_email,
            outcome=self.outcome.value if self.outcome else "",
            date_from=self.date_from,
            date_to=self.date_to,
        )


class AuditEntryOut(Schema):
    """One entry as the API shows it. `changes` and `message` were scrubbed when recorded."""

    id: int
    occurred_at: datetime
    actor_id: int | None
    actor_email: str
    actor_role: str
    action: str
    outcome: str
    object_type: str
    object_id: str
    customer_id: int | None
    changes: dict[str, Any]
    message: str
    request_id: str
    client_ip: str
    seq: int | None = Field(description="position in the hash chain; null until sealed")
    prev_hash: str | None
    hash: str | None


class AuditPageOut(Schema):
    items: list[AuditEntryOut]
    count: int
    limit: int
    offset: int
