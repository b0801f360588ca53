"""/api/v1/staff/risk: risk events (the database's copy of the stream) and their counts.

Real customers' risks; `?test_clock=<id>` lists a test clock's customers' instead."""

from django.http import HttpRequest
from ninja import Query, Router

from onboarding.risk.schemas import (
    AfterQuery,
    ResolveIn,
    RiskCountsOut,
    RiskEventOut,
    RiskScopeQuery,
)
from onboarding.risk.selectors import risk_counts_by_day, risk_events_after, risk_open_list
from onboarding.risk.services import risk_event_resolve

router = Router()


@router.get("", response=list[RiskEventOut], summary="Open risk events, newest first")
def open_risks(request: HttpRequest, query: Query[RiskScopeQuery]):
    return [RiskEventOut.of(e) for e in risk_open_list(test_clock_id=query.test_clock)]


@router.get(
    "/events", response=list[RiskEventOut], summary="Every risk event after a cursor, in order"
)
def events_after(request: HttpRequest, query: Query[AfterQuery]):
    events = risk_events_after(
        after_id=query.after, limit=query.limit, test_clock_id=query.test_clock
    )
    return [RiskEventOut.of(e) for e in events]


@router.get("/counts", response=RiskCountsOut, summary="Risk events per day by rating")
def counts(request: HttpRequest):
    return risk_counts_by_day().as_dict()


@router.post(
    "/{event_id}/resolve",
    response={200: RiskEventOut, 404: dict, 409: dict, 422: dict},
    summary="Mark a risk as dealt with",
)
def resolve(request: HttpRequest, event_id: int, payload: ResolveIn):
    event = risk_event_resolve(event_id=event_id, actor=request.user, note=payload.note)
    return RiskEventOut.of(event)
