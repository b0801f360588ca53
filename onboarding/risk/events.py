"""The risk app's audit events, one typed function each: nothing else writes them."""

from onboarding.accounts.models import User
from onboarding.audit.services import audit_record
from onboarding.risk.models import RiskEvent, RiskState


def risk_raised(*, event: RiskEvent) -> None:
    audit_record(
        action="risk.raised",
        target=event,
        customer_id=event.customer_id,
        changes={
            "event_id": str(event.event_id),
            "type": event.type,
            "level": event.level,
            "rating": event.rating,
        },
        message=event.reason,
    )


def risk_resolved(*, actor: User, event: RiskEvent) -> None:
    audit_record(
        action="risk.resolved",
        actor=actor,
        target=event,
        customer_id=event.customer_id,
        changes={"state": [RiskState.OPEN, RiskState.RESOLVED]},
        message=event.resolution_note,
    )
