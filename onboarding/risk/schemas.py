from datetime import datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field

from onboarding.risk.models import RiskEvent


class RiskEventOut(Schema):
    pk: int
    id: UUID
    type: str
    level: str
    rating: str | None
    reason: str
    occurred_at: datetime
    contract_id: int
    customer_id: int
    state: str
    resolved_at: datetime | None
    resolution_note: str

    @staticmethod
    def of(event: RiskEvent) -> "RiskEventOut":
        return RiskEventOut(
            pk=event.pk,
            id=event.event_id,
            type=event.type,
            level=event.level,
            rating=event.rating or None,
            reason=event.reason,
            occurred_at=event.occurred_at,
            contract_id=event.contract_id,
            customer_id=event.customer_id,
            state=event.state,
            resolved_at=event.resolved_at,
            resolution_note=event.resolution_note,
        )


class RiskCountsOut(Schema):
    labels: list[str]
    red: list[int]
    yellow: list[int]
    open: dict[str, int]


class ResolveIn(Schema):
    note: str = Field(..., min_length=1, max_length=500)


class RiskScopeQuery(Schema):
    test_clock: int | None = Field(
        None,
        ge=1,
        le=2**62,
        description="A test clock's id: its customers' risks instead of real customers'",
    )


class AfterQuery(RiskScopeQuery):
    after: int = Field(0, ge=0, le=2**62, description="Only events after this pk")
    limit: int = Field(100, ge=1, le=500)
