from datetime import datetime

from ninja import Schema


class JourneyStepOut(Schema):
    step: str
    label: str
    state: str
    updated_at: datetime
    completed_at: datetime | None
    failure_reason: str


class FunnelRowOut(Schema):
    step: str
    label: str
    standing: int
    failed: int
    ever_failed: int
    done: int
