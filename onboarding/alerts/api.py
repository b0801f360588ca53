"""/api/v1/staff/alerts/: list, read, acknowledge and resolve admin alerts.

The staff middleware admits staff with TOTP only; every staff role may read, the services let
only admins move an alert (403 otherwise). Unknown ids answer 404, illegal moves 409.
"""

from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

from onboarding.alerts.schemas import AlertFilters, AlertOut, AlertResolveIn
from onboarding.alerts.selectors import admin_alert_get, admin_alert_list
from onboarding.alerts.services import admin_alert_acknowledge, admin_alert_resolve
from onboarding.core.access import visible_to
from onboarding.core.pagination import BoundedLimitOffsetPagination

router = Router()

_ERRORS = {403: dict, 404: dict, 409: dict}


@router.get("/", response=list[AlertOut], summary="List alerts, newest first")
@paginate(BoundedLimitOffsetPagination)
def list_alerts(request: HttpRequest, filters: Query[AlertFilters]):
    return visible_to(
        request.user,
        admin_alert_list(
            state=filters.state or "", severity=filters.severity or "", reason=filters.reason
        ),
    )


@router.get("/{alert_id}", response={200: AlertOut, 404: dict}, summary="One alert")
def get_alert(request: HttpRequest, alert_id: str):
    return admin_alert_get(alert_id=alert_id)


@router.post(
    "/{alert_id}/acknowledge", response={200: AlertOut, **_ERRORS}, summary="Acknowledge an alert"
)
def acknowledge_alert(request: HttpRequest, alert_id: str):
    return admin_alert_acknowledge(alert_id=alert_id, actor=request.user)


@router.post("/{alert_id}/resolve", response={200: AlertOut, **_ERRORS}, summary="Resolve an alert")
def resolve_alert(request: HttpRequest, alert_id: str, payload: AlertResolveIn | None = None):
    return admin_alert_resolve(
        alert_id=alert_id, actor=request.user, note=payload.note if payload else ""
    )
