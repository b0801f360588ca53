"""The alerts app's audit events: one keyword-only function per event, nothing else writes them.

Raising, acknowledging and resolving alerts, an admin-only move refused, and an unexpected failure
reported at its boundary ("failure.<reason>").
"""

from django.db import models

from onboarding.alerts.models import AdminAlert, AlertState
from onboarding.audit.models import AuditEntry, Outcome
from onboarding.audit.services import audit_record

# The actor recorded for moves no person made: shown as "system" on alert pages and in the API.
SYSTEM = "system"
# The message of every refusal of an admin-only move (worker.events records its own with it).
ADMIN_ONLY = "only an admin may do this"
ALERT_OBJECT_TYPE = "alerts.adminalert"


def alert_raised(
    *,
    alert: AdminAlert,
    reason: str,
    message: str,
    object_type: str,
    object_id: str,
    customer_id: int | None,
) -> None:
    """One occurrence of a failure: the alert it opened or counted on."""
    audit_record(
        action="alert.raised",
        object_type=object_type,
        object_id=object_id,
        customer_id=customer_id,
        changes={"alert_id": alert.pk, "reason": reason, "count": alert.count},
        outcome=Outcome.FAILURE,
        message=message,
    )


def alert_acknowledged(*, actor, alert: AdminAlert, previous_state: str) -> None:
    audit_record(
        action="alert.acknowledged",
        actor=actor,
        target=alert,
        customer_id=alert.customer_id,
        changes={"state": [previous_state, AlertState.ACKNOWLEDGED]},
    )


def alert_resolved(*, actor, alert: AdminAlert, previous_state: str, note: str) -> None:
    audit_record(
        action="alert.resolved",
        actor=actor,
        target=alert,
        customer_id=alert.customer_id,
        changes={"state": [previous_state, AlertState.RESOLVED]},
        message=note,
    )


def _admin_only_refused(*, action: str, actor, object_id: str) -> None:
    audit_record(
        action=action,
        actor=actor,
        object_type=ALERT_OBJECT_TYPE,
        object_id=object_id,
        outcome=Outcome.REFUSED,
        message=ADMIN_ONLY,
    )


def alert_acknowledge_refused(*, actor, object_id: str) -> None:
    """Someone other than an admin tried to acknowledge alert `object_id`."""
    _admin_only_refused(action="alert.acknowledged", actor=actor, object_id=object_id)


def alert_resolve_refused(*, actor, object_id: str) -> None:
    """Someone other than an admin tried to resolve alert `object_id`."""
    _admin_only_refused(action="alert.resolved", actor=actor, object_id=object_id)


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


def failure_recorded(
    *,
    reason: str,
    detail: str,
    actor=None,
    target: models.Model | None = None,
    customer_id: int | None = None,
) -> None:
    """An unexpected failure reported at its boundary: "failure.<reason>", the error as message."""
    audit_record(
        action=f"failure.{reason}",
        actor=actor,
        target=target,
        customer_id=customer_id,
        outcome=Outcome.FAILURE,
        message=detail,
    )
