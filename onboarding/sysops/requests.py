"""Reads of repair and troubleshoot requests: the staff queue, one request and its history as
its reader may see it, a customer's own requests, and the count of requests answered late.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from onboarding.accounts.models import Customer, User
from onboarding.billing.models import LIVE_STATUSES, Subscription
from onboarding.core import clock
from onboarding.core.access import get_visible_or_404, visible_to
from onboarding.core.numbers import parse_query_int
from onboarding.sla.models import ClockKind, SlaClock
from onboarding.sla.selectors import (
    ClockView,
    sla_clocks_by_subject,
    sla_clocks_of,
    sla_next_due,
    sla_overdue_count,
)
from onboarding.sysops.models import (
    OPEN_STATUSES,
    RequestStatus,
    ServiceRequest,
    ServiceRequestUpdate,
    Severity,
)

QUEUE_PAGE_SIZE = 25


@dataclass(frozen=True)
class QueueFilters:
    status: str = "open"  # "open" (new, in progress, waiting), "" (all), or one status
    severity: str = ""
    assignee: str = ""  # "", "me", "none", or a staff user's id


def service_request_queue(*, user: User, filters: QueueFilters | None = None) -> QuerySet:
    """The staff queue: most urgent first, then oldest first (who has waited longest)."""
    filters = filters or QueueFilters()
    queryset = visible_to(user, ServiceRequest.objects.all()).select_related(
        "customer__user", "subscription__plan__product", "assignee"
    )
    if filters.status == "open":
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif filters.status in RequestStatus.values:
        queryset = queryset.filter(status=filters.status)
    if filters.severity in Severity.values:
        queryset = queryset.filter(severity=filters.severity)
    if filters.assignee == "me":
        queryset = queryset.filter(assignee=user)
    elif filters.assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    elif (assignee_id := parse_query_int(filters.assignee, minimum=1)) is not None:
        queryset = queryset.filter(assignee_id=assignee_id)
    return queryset.order_by("severity_rank", "created_at", "id")


def service_request_get(*, user: User, request_id: int) -> ServiceRequest:
    """One request `user` may see (their own, or any for staff), else Http404."""
    return get_visible_or_404(
        user,
        ServiceRequest.objects.select_related(
            "customer__user", "subscription__plan__product", "assignee", "opened_by"
        ),
        pk=request_id,
    )


def service_request_updates(*, user: User, request: ServiceRequest) -> list[ServiceRequestUpdate]:
    """The request's history as `user` may see it: customers never see internal notes."""
    updates = visible_to(user, ServiceRequestUpdate.objects.filter(request=request))
    if not user.is_staff_role:
        updates = updates.filter(internal=False)
    return list(updates.select_related("author", "assignee").order_by("created_at", "id"))


def service_request_clocks(*, request: ServiceRequest) -> list[ClockView]:
    """The request's SLA clocks as of now: the business clock's now, or for a test clock's
    customer read outside a simulation, the moment that customer lives at."""
    customer = request.customer
    now = clock.now()
    if clock.current() is None and customer.test_clock_id is not None:
        now = customer.test_clock.frozen_time
    return sla_clocks_of(subject=request, now=now)


def service_requests_with_due(*, requests) -> list[ServiceRequest]:
    """A page of requests, each with `sla_due`: its nearest running SLA deadline, or None
    (one query for the page)."""
    requests = list(requests)
    due = sla_next_due(
        subject_type=ServiceRequest._meta.label_lower, subject_ids=[r.pk for r in requests]
    )
    for request in requests:
        request.sla_due = due.get(request.pk)
    return requests


def service_requests_with_clocks(*, requests) -> list[ServiceRequest]:
    """A list of requests, each with `sla_clocks`: its SLA clocks (one query for the list)."""
    requests = list(requests)
    clocks = sla_clocks_by_subject(
        subject_type=ServiceRequest._meta.label_lower, subject_ids=[r.pk for r in requests]
    )
    for request in requests:
        request.sla_clocks = clocks[request.pk]
    return requests


def service_request_sla_clocks(*, request: ServiceRequest) -> list[SlaClock]:
    """The request's clocks as the API shows them: prefetched with the list, else read."""
    if not hasattr(request, "sla_clocks"):
        service_requests_with_clocks(requests=[request])
    return request.sla_clocks


def service_requests_of(*, customer: Customer) -> list[ServiceRequest]:
    return list(
        ServiceRequest.objects.filter(customer=customer)
        .select_related("subscription__plan__product", "assignee")
        .order_by("-created_at", "-id")
    )


def request_subscriptions_of(*, customer: Customer) -> list[Subscription]:
    """The subscriptions a customer may open a request for: the live ones."""
    return list(
        Subscription.objects.filter(customer=customer, status__in=LIVE_STATUSES)
        .select_related("plan__product")
        .order_by("plan__product__name", "plan__name")
    )


def service_request_overdue_count(*, now: datetime | None = None) -> int:
    """Requests whose first-response clock runs past its deadline (or was breached and runs
    on): nobody has answered them in time. Paused and stopped clocks are not counted; nor are
    a test clock's customers in real time (docs/sla.md, "The overdue count")."""
    return sla_overdue_count(
        subject_type=ServiceRequest._meta.label_lower,
        kind=ClockKind.FIRST_RESPONSE,
        now=now or clock.now(),
    )
