"""Reads of service credits: the managers' list (pending first) and one proposal."""

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from onboarding.sysops.credit_models import PENDING_STATUSES, ServiceCredit
from onboarding.sysops.models import ServiceRequest

_RELATED = (
    "customer",
    "request",
    "clock",
    "invoice",
    "credit_note",
    "decided_by",
    "subscription__plan__product",
)


def service_credit_list() -> QuerySet[ServiceCredit]:
    """Every proposal: those waiting for a decision first, then the decided ones; newest first
    within each."""
    return (
        ServiceCredit.objects.select_related(*_RELATED)
        .annotate(
            waiting=Case(
                When(status__in=PENDING_STATUSES, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("waiting", "-created_at", "-id")
    )


def service_credit_get(*, credit_id: int) -> ServiceCredit:
    return get_object_or_404(ServiceCredit.objects.select_related(*_RELATED), pk=credit_id)


def service_credits_of_request(*, request: ServiceRequest) -> list[ServiceCredit]:
    return list(
        ServiceCredit.objects.filter(request=request)
        .select_related("clock", "credit_note")
        .order_by("created_at", "id")
    )
