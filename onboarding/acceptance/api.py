"""/api/v1/staff/acceptance: the console, a contract's requirements and review, ratings and the
manager's actions. Staff only (StaffAuth); manager actions are refused (403) for SysOps."""

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Query, Router

from onboarding.acceptance.requirements import requirement_add, requirement_rate
from onboarding.acceptance.reviews import (
    review_accept_with_conditions,
    review_acknowledge,
    review_cancel_contract,
    review_escalate,
    review_request_remediation,
)
from onboarding.acceptance.schemas import (
    AcceptanceOut,
    ConsoleQuery,
    ConsoleRowOut,
    RateIn,
    RequirementIn,
    RequirementOut,
    ReviewActionIn,
    ReviewOut,
)
from onboarding.acceptance.selectors import (
    acceptance_console,
    acceptance_view,
    contract_for_acceptance,
    requirement_get,
    review_get,
)
from onboarding.accounts.models import User
from onboarding.core.errors import Conflict
from onboarding.core.roles import STAFF_ROLES

router = Router()
_ERRORS = {400: dict, 403: dict, 404: dict, 409: dict, 422: dict, 503: dict}


def _staff(user_id: int | None, field: str) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, role__in=STAFF_ROLES, is_active=True).first()
    if user is None:
        raise Conflict(gettext("No active staff member has that id."), field=field)
    return user


@router.get("", response=list[ConsoleRowOut], summary="Contracts in force and their acceptance")
def console(request: HttpRequest, filters: Query[ConsoleQuery]):
    return [ConsoleRowOut.of(row) for row in acceptance_console(show=filters.show)]


@router.get(
    "/contracts/{contract_id}",
    response={200: AcceptanceOut, 404: dict},
    summary="A contract's requirements, ratings and current review",
)
def contract_acceptance(request: HttpRequest, contract_id: int):
    contract = contract_for_acceptance(contract_id=contract_id)
    return AcceptanceOut.of(acceptance_view(contract=contract))


@router.post(
    "/contracts/{contract_id}/requirements",
    response={201: RequirementOut, **_ERRORS},
    summary="Capture a requirement with its acceptance criteria and rating",
)
def add_requirement(request: HttpRequest, contract_id: int, payload: RequirementIn):
    contract = contract_for_acceptance(contract_id=contract_id)
    owner = _staff(payload.owner_id, "owner_id")
    requirement = requirement_add(
        contract=contract,
        actor=request.user,
        title=payload.title,
        criteria=payload.criteria,
        rating=payload.rating,
        owner=owner,
        notes=payload.notes,
    )
    return 201, RequirementOut.of(requirement_get(requirement_id=requirement.pk))


@router.post(
    "/requirements/{requirement_id}/rating",
    response={200: RequirementOut, **_ERRORS},
    summary="Rate a requirement Red, Yellow or Green",
)
def rate_requirement(request: HttpRequest, requirement_id: int, payload: RateIn):
    requirement = requirement_get(requirement_id=requirement_id)
    requirement_rate(
        requirement=requirement, actor=request.user, rating=payload.rating, note=payload.note
    )
    return RequirementOut.of(requirement_get(requirement_id=requirement.pk))


@router.post(
    "/reviews/{review_id}/acknowledge",
    response={200: ReviewOut, **_ERRORS},
    summary="Acknowledge: SysOps for green, a manager for yellow and red",
)
def acknowledge(request: HttpRequest, review_id: int):
    review = review_get(review_id=review_id)
    review = review_acknowledge(review=review, actor=request.user)
    return ReviewOut.of(review)


@router.post(
    "/reviews/{review_id}/actions",
    response={200: ReviewOut, **_ERRORS},
    summary="A manager's next action on a yellow or red contract",
)
def act(request: HttpRequest, review_id: int, payload: ReviewActionIn):
    review = review_get(review_id=review_id)
    actor = request.user
    if payload.action == "accept_with_conditions":
        review = review_accept_with_conditions(review=review, actor=actor, conditions=payload.note)
    elif payload.action == "request_remediation":
        review = review_request_remediation(
            review=review,
            actor=actor,
            owner=_staff(payload.owner_id, "owner_id"),
            due=payload.due,
            note=payload.note,
        )
    elif payload.action == "escalate":
        review = review_escalate(review=review, actor=actor, note=payload.note)
    else:
        review = review_cancel_contract(review=review, actor=actor, reason=payload.note)
    return ReviewOut.of(review)
