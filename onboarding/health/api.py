"""/api/v1/staff/health: the managers' health queue as JSON (real customers, worst first), and
the managers' review of a customer's fall into red: read it, acknowledge it, choose the next
action. Staff only (StaffAuth); acknowledging and acting are refused (403) for SysOps.

A customer's own score with its history and newest review is
`GET /api/v1/staff/customers/{id}/health` (the customers router, sysops/api.py, which knows
unknown customers); the full customer view's answer carries the score as `health`."""

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Query, Router

from onboarding.accounts.models import User
from onboarding.core.errors import Conflict
from onboarding.core.roles import STAFF_ROLES
from onboarding.health.reads import health_queue
from onboarding.health.reviews import (
    health_review_acknowledge,
    health_review_act,
    health_review_get,
)
from onboarding.health.schemas import (
    HealthQueueOut,
    HealthQueueQuery,
    HealthReviewActIn,
    HealthReviewOut,
)

router = Router()
_ERRORS = {400: dict, 403: dict, 404: dict, 409: dict, 422: dict, 503: dict}


@router.get(
    "", response=HealthQueueOut, summary="Customers by health score, worst or falling fastest first"
)
def queue(request: HttpRequest, query: Query[HealthQueueQuery]):
    return HealthQueueOut.of(health_queue(band=query.band, sort=query.sort, page=query.page))


@router.get(
    "/reviews/{review_id}",
    response={200: HealthReviewOut, 404: dict},
    summary="A review of a customer's fall into red",
)
def review(request: HttpRequest, review_id: int):
    return HealthReviewOut.of(health_review_get(review_id=review_id))


@router.post(
    "/reviews/{review_id}/acknowledge",
    response={200: HealthReviewOut, **_ERRORS},
    summary="A manager acknowledges a customer's fall into red",
)
def acknowledge(request: HttpRequest, review_id: int):
    found = health_review_get(review_id=review_id)
    health_review_acknowledge(review=found, actor=request.user)
    return HealthReviewOut.of(health_review_get(review_id=review_id))


def _staff(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, role__in=STAFF_ROLES, is_active=True).first()
    if user is None:
        raise Conflict(gettext("No active staff member has that id."), field="owner_id")
    return user


@router.post(
    "/reviews/{review_id}/actions",
    response={200: HealthReviewOut, **_ERRORS},
    summary="A manager's next action on a customer in red",
)
def act(request: HttpRequest, review_id: int, payload: HealthReviewActIn):
    found = health_review_get(review_id=review_id)
    health_review_act(
        review=found,
        actor=request.user,
        action=payload.action,
        owner=_staff(payload.owner_id),
        due=payload.due,
        note=payload.note,
    )
    return HealthReviewOut.of(health_review_get(review_id=review_id))
