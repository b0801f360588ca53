"""Reads of service credits: the managers' list (pending first), one proposal, and the count
of those awaiting a decision (the staff navigation's)."""

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from onboarding.accounts.models import Customer
from onboarding.billing.states import CreditNoteStatus
from onboarding.sysops.credit_models import PENDING_STATUSES, ServiceCredit, ServiceCreditStatus
from onboarding.sysops.models import ServiceRequest

# Awaiting a manager: proposed, failed, or approved with the credit note billing cancelled.
AWAITING = Q(status__in=PENDING_STATUSES) | Q(
    status=ServiceCreditStatus.APPROVED, credit_note__status=CreditNoteStatus.CANCELLED
)
PENDING_FILTER = "pending"

_RELATED = (
    "customer",
    "request",
    "clock",
    "invoice",
    "credit_note",
    "decided_by",
    "subscription__plan__product",
)


def service_credit_list(*, state: str = "") -> QuerySet[ServiceCredit]:
    """Every proposal: those waiting for a decision first, then the decided ones; newest first
    within each. `state`: one status, "pending" (awaiting a decision), or "" for all."""
    credits = ServiceCredit.objects.select_related(*_RELATED)
    if state == PENDING_FILTER:
        credits = credits.filter(AWAITING)
    elif state:
        credits = credits.filter(status=state)
    return credits.annotate(
        waiting=Case(
            When(AWAITING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("waiting", "-created_at", "-id")


def service_credit_get(*, credit_id: int) -> ServiceCredit:
    return get_object_or_404(ServiceCredit.objects.select_related(*_RELATED), pk=credit_id)


def service_credits_of_request(*, request: ServiceRequest) -> list[ServiceCredit]:
    return list(
        ServiceCredit.objects.filter(request=request)
        .select_related("clock", "credit_note")
        .order_by("created_at", "id")
    )


def service_credit_awaiting_count() -> int:
    """Real customers' proposals awaiting a decision: the staff navigation's count for managers
    and admins, the same set as the page's and the API's `state=pending` (AWAITING): proposed,
    failed, or approved with the credit note billing cancelled since (nothing was paid out, so a
    manager decides again). One COUNT; the credit note is joined by its key, and only an
    approved row needs it. A test customer's credits are its test clock's business."""
    test_customer = Customer.objects.filter(pk=OuterRef("customer_id"), test_clock__isnull=False)
    return ServiceCredit.objects.filter(AWAITING).filter(~Exists(test_customer)).count()
