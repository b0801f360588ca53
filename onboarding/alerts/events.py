"""The alerts app's audit events: one keyword-only function per event, nothing else writes them."""

from onboarding.alerts.models import AdminAlert, AlertState
from onboarding.audit.models import AuditEntry
from onboarding.audit.services import audit_record

# The actor recorded for moves no person made: shown as "system" on alert pages and in the API.
SYSTEM = "system"


def alert_resolved_by_system(*, alert: AdminAlert, previous_state: str, because: str) -> AuditEntry:
    """The alert closed itself: the step that failed later succeeded for the same customer."""
    return audit_record(
        action="alert.auto_resolved",
        target=alert,
        customer_id=alert.customer_id,
        changes={
            "state": [previous_state, AlertState.RESOLVED],
            "reason": alert.reason,
            "resolved_by": SYSTEM,
        },
        message=because,
    )
