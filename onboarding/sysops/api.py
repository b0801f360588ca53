"""The back office API.

/api/v1/staff/customers  search, look-up by email, the full customer view in one call, and a
                         customer's health score with its history
/api/v1/staff/requests   the request queue: open for a customer, assign, comment, move
/api/v1/me/requests      a customer's own requests: open, read, reply

Staff routers sit behind StaffAccessMiddleware and StaffAuth. A customer named by id or email
that SysOps do not know answers 404 with code "customer_unknown" (and an admin is alerted);
another customer's request answers 404 exactly like one that does not exist.
"""

from django.http import HttpRequest
from ninja import Query, Router

from onboarding.accounts.models import User
from onboarding.accounts.selectors import customer_of_user
from onboarding.core.roles import STAFF_ROLES
from onboarding.health.reads import HISTORY_DAYS, customer_health_card, health_history
from onboarding.health.schemas import CustomerHealthOut, HealthReviewOut
from onboarding.health.selectors import health_review_latest_of
from onboarding.sysops.models import ServiceRequest
from onboarding.sysops.overview_cache import customer_overview_cached
from onboarding.sysops.requests import (
    QueueFilters,
    service_request_get,
    service_request_queue,
    service_requests_of,
    service_requests_with_clocks,
)
from onboarding.sysops.schemas import (
    AssignIn,
    CommentIn,
    CustomerOverviewOut,
    CustomerSearchOut,
    CustomerSearchQuery,
    CustomerSummaryOut,
    EmailLookupQuery,
    MoveIn,
    QueuePageOut,
    QueueQuery,
    RequestOpenIn,
    RequestOut,
    RequestSummaryOut,
    StaffCommentIn,
    StaffRequestOpenIn,
)
from onboarding.sysops.search import customer_search, looks_like_email
from onboarding.sysops.services import (
    customer_of_requester,
    customer_resolve,
    service_request_assign,
    service_request_comment,
    service_request_move,
    service_request_open,
)

customers_router = Router()
staff_requests_router = Router()
me_requests_router = Router()

_ERRORS = {400: dict, 403: dict, 404: dict, 409: dict, 422: dict, 503: dict}


# --- Staff: customers ----------------------------------------------------------------------------


@customers_router.get(
    "",
    response={200: CustomerSearchOut, 404: dict},
    summary="Search customers by name, email, company, phone, invoice or contract number",
)
def search_customers(request: HttpRequest, filters: Query[CustomerSearchQuery]):
    page = customer_search(query=filters.q, page=filters.page, size=filters.size)
    if looks_like_email(page.query):
        # An exact address nobody signed up with: not found, and an admin is told.
        customer_resolve(email=page.query, source="staff customer search API", actor=request.user)
    return page


@customers_router.get(
    "/lookup",
    response={200: CustomerSummaryOut, 404: dict},
    summary="The customer with exactly this email address",
)
def lookup_customer(request: HttpRequest, filters: Query[EmailLookupQuery]):
    return customer_resolve(
        email=filters.email, source="staff customer look-up API", actor=request.user
    )


@customers_router.get(
    "/{customer_id}/overview",
    response={200: CustomerOverviewOut, 404: dict},
    summary="The full customer view in one call, risky facts first",
)
def customer_overview_api(request: HttpRequest, customer_id: str):
    # A str, not an int: "abc" or an id past 2^63 is a customer SysOps do not know, not a 422.
    customer = customer_resolve(
        customer_id=customer_id, source="staff customer overview API", actor=request.user
    )
    # The requests come with their clocks.
    return customer_overview_cached(customer=customer)


@customers_router.get(
    "/{customer_id}/health",
    response={200: CustomerHealthOut, 404: dict},
    summary="The customer's health score with its factors and history (null until scored)",
)
def customer_health_api(request: HttpRequest, customer_id: str):
    customer = customer_resolve(
        customer_id=customer_id, source="staff customer health API", actor=request.user
    )
    card = customer_health_card(customer_id=customer.pk)
    return {
        "customer_id": customer.pk,
        "health": card,
        "history": card.history if card else health_history(customer_id=customer.pk),
        "history_days": card.history_days if card else HISTORY_DAYS,
        "review": _review_out(customer.pk),
    }


def _review_out(customer_id: int) -> HealthReviewOut | None:
    review = health_review_latest_of(customer_id=customer_id)
    return HealthReviewOut.of(review) if review is not None else None


# --- Staff: requests -----------------------------------------------------------------------------


@staff_requests_router.get("", response=QueuePageOut, summary="The request queue")
def staff_queue(request: HttpRequest, filters: Query[QueueQuery]):
    queue = service_request_queue(
        user=request.user,
        filters=QueueFilters(
            status=filters.status, severity=filters.severity, assignee=filters.assignee
        ),
    )
    page = queue[filters.offset : filters.offset + filters.limit]
    return {"count": queue.count(), "items": service_requests_with_clocks(requests=page)}


@staff_requests_router.post(
    "", response={201: RequestOut, **_ERRORS}, summary="Open a request for a customer"
)
def staff_open(request: HttpRequest, payload: StaffRequestOpenIn):
    customer = customer_resolve(
        customer_id=payload.customer_id, source="staff request API", actor=request.user
    )
    data = payload.dict()
    data.pop("customer_id")
    opened = service_request_open(customer=customer, actor=request.user, source="staff", **data)
    return 201, _detail(request, opened.pk)


def _detail(request: HttpRequest, request_id: int) -> ServiceRequest:
    # RequestOut reads the history the reader may see, and masks staff for customers.
    return service_request_get(user=request.user, request_id=request_id)


@staff_requests_router.get("/{request_id}", response={200: RequestOut, 404: dict}, summary="One")
def staff_get(request: HttpRequest, request_id: int):
    return _detail(request, request_id)


def _act(request: HttpRequest, request_id: int, call) -> ServiceRequest:
    call(service_request_get(user=request.user, request_id=request_id))
    return _detail(request, request_id)


@staff_requests_router.post(
    "/{request_id}/assign", response={200: RequestOut, **_ERRORS}, summary="Assign"
)
def staff_assign(request: HttpRequest, request_id: int, payload: AssignIn):
    assignee = None
    if payload.assignee_id is not None:
        assignee = User.objects.filter(pk=payload.assignee_id, role__in=STAFF_ROLES).first()
        if assignee is None:
            return 422, {"detail": "No member of staff has that id.", "field": "assignee_id"}
    return _act(
        request,
        request_id,
        lambda found: service_request_assign(request=found, assignee=assignee, actor=request.user),
    )


@staff_requests_router.post(
    "/{request_id}/comments", response={200: RequestOut, **_ERRORS}, summary="Comment"
)
def staff_comment(request: HttpRequest, request_id: int, payload: StaffCommentIn):
    return _act(
        request,
        request_id,
        lambda found: service_request_comment(
            request=found, actor=request.user, body=payload.body, internal=payload.internal
        ),
    )


@staff_requests_router.post(
    "/{request_id}/status", response={200: RequestOut, **_ERRORS}, summary="Change status"
)
def staff_move(request: HttpRequest, request_id: int, payload: MoveIn):
    return _act(
        request,
        request_id,
        lambda found: service_request_move(
            request=found, status=payload.status, actor=request.user, note=payload.note
        ),
    )


# --- Customers: their own requests -------------------------------------------------------------


@me_requests_router.get(
    "", response={200: list[RequestSummaryOut], 404: dict}, summary="Your requests"
)
def my_requests(request: HttpRequest):
    customer = customer_of_user(user=request.user)
    return service_requests_with_clocks(requests=service_requests_of(customer=customer))


@me_requests_router.post("", response={201: RequestOut, **_ERRORS}, summary="Open a request")
def my_open(request: HttpRequest, payload: RequestOpenIn):
    customer = customer_of_requester(user=request.user, source="customer request API")
    opened = service_request_open(
        customer=customer, actor=request.user, source="api", **payload.dict()
    )
    return 201, _detail(request, opened.pk)


@me_requests_router.get("/{request_id}", response={200: RequestOut, 404: dict}, summary="One")
def my_get(request: HttpRequest, request_id: int):
    customer_of_user(user=request.user)
    return _detail(request, request_id)


@me_requests_router.post(
    "/{request_id}/comments", response={200: RequestOut, **_ERRORS}, summary="Reply"
)
def my_comment(request: HttpRequest, request_id: int, payload: CommentIn):
    customer_of_user(user=request.user)
    return _act(
        request,
        request_id,
        lambda found: service_request_comment(request=found, actor=request.user, body=payload.body),
    )
