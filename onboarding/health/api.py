"""/api/v1/staff/health: the managers' health queue as JSON (real customers, worst first).

A customer's own score with its history is `GET /api/v1/staff/customers/{id}/health` (the
customers router, sysops/api.py, which knows unknown customers); the full customer view's
answer carries the score as `health`."""

from django.http import HttpRequest
from ninja import Query, Router

from onboarding.health.reads import health_queue
from onboarding.health.schemas import HealthQueueOut, HealthQueueQuery

router = Router()


@router.get(
    "", response=HealthQueueOut, summary="Customers by health score, worst or falling fastest first"
)
def queue(request: HttpRequest, query: Query[HealthQueueQuery]):
    return HealthQueueOut.of(health_queue(band=query.band, sort=query.sort, page=query.page))
