"""The service requests' and service credits' audit events, one keyword-only function per
event: nothing else writes them."""

from onboarding.accounts.models import User
from onboarding.audit.models import Outcome
from onboarding.audit.services import audit_record
from onboarding.billing.models import CreditNote
from onboarding.sysops.models import ServiceCredit, ServiceRequest, ServiceRequestUpdate


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


def _credit_changes(credit: ServiceCredit) -> dict:
    return {
        "request": credit.request.reference,
        "clock": credit.clock_id,
        "percent": credit.percent,
        "amount": str(credit.amount),
        "invoice": credit.invoice.number if credit.invoice_id else None,
        "status": credit.status,
    }


def service_credit_proposed(*, credit: ServiceCredit) -> None:
    """A breached clock earned a service credit, drafted for a manager (no actor: the breach)."""
    audit_record(
        action="service_credit.proposed",
        target=credit,
        customer_id=credit.customer_id,
        changes=_credit_changes(credit),
    )


def service_credit_requoted(*, actor: User, credit: ServiceCredit) -> None:
    """A proposal made before any invoice was paid, priced on the invoice paid since."""
    audit_record(
        action="service_credit.requoted",
        actor=actor,
        target=credit,
        customer_id=credit.customer_id,
        changes=_credit_changes(credit),
    )


def service_credit_approved(*, actor: User, credit: ServiceCredit, credit_note: CreditNote) -> None:
    audit_record(
        action="service_credit.approved",
        actor=actor,
        target=credit,
        customer_id=credit.customer_id,
        changes={
            **_credit_changes(credit),
            "credit_note": credit_note.number or f"draft {credit_note.pk}",
        },
    )


def service_credit_declined(*, actor: User, credit: ServiceCredit) -> None:
    audit_record(
        action="service_credit.declined",
        actor=actor,
        target=credit,
        customer_id=credit.customer_id,
        changes=_credit_changes(credit),
        message=credit.decline_reason,
    )


def service_credit_failed(*, actor: User, credit: ServiceCredit, message: str) -> None:
    """Approved, but not issued: nothing was paid out."""
    audit_record(
        action="service_credit.failed",
        actor=actor,
        target=credit,
        customer_id=credit.customer_id,
        changes=_credit_changes(credit),
        outcome=Outcome.FAILURE,
        message=message[:500],
    )
