"""The service requests' audit events, one keyword-only function per event: nothing else
writes them."""

from onboarding.accounts.models import User
from onboarding.audit.services import audit_record
from onboarding.sysops.models import ServiceRequest, ServiceRequestUpdate


def request_opened(*, actor: User | None, request: ServiceRequest) -> None:
    """A request opened by the customer, by staff for them, or by an inbound event (no actor)."""
    audit_record(
        action="service_request.opened",
        actor=actor,
        target=request,
        customer_id=request.customer_id,
        changes={
            "kind": request.kind,
            "severity": request.severity,
            "product": request.subscription.plan.product.name,
            "source": request.source,
        },
        message=request.summary,
    )


def request_assigned(*, actor: User, request: ServiceRequest, previous: User | None) -> None:
    """The request moves from `previous` to its assignee (either may be nobody)."""
    assignee = request.assignee
    audit_record(
        action="service_request.assigned",
        actor=actor,
        target=request,
        customer_id=request.customer_id,
        changes={
            "assignee": [previous.email if previous else None, assignee.email if assignee else None]
        },
    )


def request_commented(
    *, actor: User, request: ServiceRequest, update: ServiceRequestUpdate
) -> None:
    """A comment or an internal note: its length, never its text."""
    audit_record(
        action="service_request.commented",
        actor=actor,
        target=request,
        customer_id=request.customer_id,
        changes={"internal": update.internal, "length": len(update.body), "update": update.pk},
    )


def request_status_changed(
    *, actor: User, request: ServiceRequest, previous_status: str, note: str
) -> None:
    audit_record(
        action="service_request.status_changed",
        actor=actor,
        target=request,
        customer_id=request.customer_id,
        changes={"status": [previous_status, request.status]},
        message=note[:500],
    )


def request_severity_changed(*, actor: User, request: ServiceRequest, previous: str) -> None:
    audit_record(
        action="service_request.severity_changed",
        actor=actor,
        target=request,
        customer_id=request.customer_id,
        changes={"severity": [previous, request.severity]},
    )
