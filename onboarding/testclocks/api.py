"""/api/v1/staff/test-clocks: create a clock, bind test customers to it, advance it, read what
happened. Admins only: other staff roles get 403 (and the refusal is recorded). Bad input is a
field-level 422 (services.ClockInputError)."""

from django.http import HttpRequest
from ninja import Router, Status

from onboarding.testclocks.schemas import (
    AdvanceIn,
    ClockEventOut,
    TestClockIn,
    TestClockOut,
    TestCustomerIn,
    TestCustomerOut,
)
from onboarding.testclocks.selectors import clock_events, clock_get, clock_list
from onboarding.testclocks.services import (
    ClockCustomerIn,
    clock_advance,
    clock_create,
    clock_customer_create,
    testclocks_require_admin,
)

router = Router()

_ERRORS = {400: dict, 403: dict, 404: dict, 409: dict, 422: dict, 503: dict}


@router.get("/", response={200: list[TestClockOut], 403: dict}, summary="List test clocks")
def list_clocks(request: HttpRequest):
    testclocks_require_admin(request.user)
    return clock_list()


@router.post("/", response={201: TestClockOut, **_ERRORS}, summary="Create a test clock")
def create_clock(request: HttpRequest, payload: TestClockIn):
    created = clock_create(actor=request.user, name=payload.name, frozen_time=payload.frozen_time)
    return Status(201, clock_get(clock_id=created.pk))


@router.get("/{clock_id}", response={200: TestClockOut, 403: dict, 404: dict}, summary="One clock")
def get_clock(request: HttpRequest, clock_id: str):
    """Its moment and status: poll it while an advance runs."""
    testclocks_require_admin(request.user, object_id=clock_id[:64])
    return clock_get(clock_id=clock_id)


@router.post(
    "/{clock_id}/customers",
    response={201: TestCustomerOut, **_ERRORS},
    summary="Create a test customer bound to the clock",
)
def create_customer(request: HttpRequest, clock_id: str, payload: TestCustomerIn):
    customer = clock_customer_create(
        actor=request.user, clock_id=clock_id, data=ClockCustomerIn(**payload.dict())
    )
    return Status(
        201,
        {"id": customer.pk, "email": customer.user.email, "test_clock_id": customer.test_clock_id},
    )


@router.post(
    "/{clock_id}/advance", response={202: TestClockOut, **_ERRORS}, summary="Advance the clock"
)
def advance(request: HttpRequest, clock_id: str, payload: AdvanceIn):
    """By `amount` `unit`s or to `to`; runs in the background (status "advancing" until done)."""
    clock_advance(
        actor=request.user,
        clock_id=clock_id,
        amount=payload.amount,
        unit=payload.unit,
        to=payload.to,
    )
    return Status(202, clock_get(clock_id=clock_id))


@router.get(
    "/{clock_id}/events",
    response={200: list[ClockEventOut], 403: dict, 404: dict},
    summary="What happened on the clock",
)
def events(request: HttpRequest, clock_id: str):
    """Audit entries written at the clock's moments, newest first, with both times."""
    testclocks_require_admin(request.user, object_id=clock_id[:64])
    return clock_events(clock_id=clock_get(clock_id=clock_id).pk)
