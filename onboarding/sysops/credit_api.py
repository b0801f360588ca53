"""/api/v1/staff/service-credits: the service credits proposed for SLA breaches, for managers
and admins (other staff roles get 403, recorded; config/api.py registers the router with
StaffAuth for those roles, and the services check again).

List (filter by state, limit/offset), one, approve, decline: the same selectors and services as
the pages (credit_views.py). An unknown id answers 404; a decision refused in the proposal's
state (decided already, being approved, no paid invoice yet) 409; a refund the provider refuses
400 with the reason (the proposal is then failed, an admin told); a decline without a reason 422
naming the field.
"""

from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

from onboarding.core.pagination import BoundedLimitOffsetPagination
from onboarding.sysops.credit_schemas import (
    ServiceCreditDeclineIn,
    ServiceCreditFilters,
    ServiceCreditOut,
)
from onboarding.sysops.credit_selectors import service_credit_get, service_credit_list
from onboarding.sysops.service_credits import service_credit_approve, service_credit_decline

router = Router()

_ERRORS = {400: dict, 403: dict, 404: dict, 409: dict, 422: dict, 503: dict}


@router.get(
    "",
    response=list[ServiceCreditOut],
    summary="Service credits, those awaiting a decision first, newest first",
)
@paginate(BoundedLimitOffsetPagination)
def list_credits(request: HttpRequest, filters: Query[ServiceCreditFilters]):
    return service_credit_list(state=filters.state or "")


@router.get("/{int:credit_id}", response={200: ServiceCreditOut, 404: dict}, summary="One")
def get_credit(request: HttpRequest, credit_id: int):
    return service_credit_get(credit_id=credit_id)


@router.post(
    "/{int:credit_id}/approve",
    response={200: ServiceCreditOut, **_ERRORS},
    summary="Approve: a credit note on the invoice and a refund to the card",
)
def approve_credit(request: HttpRequest, credit_id: int):
    service_credit_approve(credit=service_credit_get(credit_id=credit_id), actor=request.user)
    return service_credit_get(credit_id=credit_id)


@router.post(
    "/{int:credit_id}/decline",
    response={200: ServiceCreditOut, **_ERRORS},
    summary="Decline, saying why",
)
def decline_credit(request: HttpRequest, credit_id: int, payload: ServiceCreditDeclineIn):
    service_credit_decline(
        credit=service_credit_get(credit_id=credit_id), actor=request.user, reason=payload.reason
    )
    return service_credit_get(credit_id=credit_id)
