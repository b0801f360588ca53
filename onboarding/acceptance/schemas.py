from datetime import date, datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from onboarding.acceptance.models import Requirement, Review
from onboarding.acceptance.selectors import AcceptanceView, ConsoleRow

GivenRating = Literal["green", "yellow", "red"]


class RequirementIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    criteria: str = Field(..., min_length=1, max_length=4000)
    rating: GivenRating
    owner_id: int | None = Field(None, ge=1, le=2**62)
    notes: str = Field("", max_length=4000)


class RateIn(Schema):
    rating: GivenRating
    note: str = Field("", max_length=500)


class ReviewActionIn(Schema):
    action: Literal["accept_with_conditions", "request_remediation", "escalate", "cancel_contract"]
    note: str = Field("", max_length=2000, description="Conditions, reason or remarks")
    owner_id: int | None = Field(None, ge=1, le=2**62, description="Remediation: who fixes it")
    due: date | None = Field(None, description="Remediation: by when")


class RatingChangeOut(Schema):
    from_rating: str
    to_rating: str
    actor: str | None
    note: str
    changed_at: datetime


class RequirementOut(Schema):
    id: int
    title: str
    criteria: str
    rating: str
    owner: str | None
    notes: str
    history: list[RatingChangeOut]

    @staticmethod
    def of(requirement: Requirement, *, history: bool = True) -> "RequirementOut":
        changes = requirement.rating_changes.all() if history else []
        return RequirementOut(
            id=requirement.pk,
            title=requirement.title,
            criteria=requirement.criteria,
            rating=requirement.rating,
            owner=requirement.owner.email if requirement.owner else None,
            notes=requirement.notes,
            history=[
                RatingChangeOut(
                    from_rating=c.from_rating,
                    to_rating=c.to_rating,
                    actor=c.actor.email if c.actor else None,
                    note=c.note,
                    changed_at=c.changed_at,
                )
                for c in changes
            ],
        )


class ReviewOut(Schema):
    id: int
    contract_id: int
    rating: str
    state: str
    opened_at: datetime
    ack_due_at: datetime
    overdue: bool
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    outcome_note: str
    remediation_owner: str | None
    remediation_due: date | None
    closed_at: datetime | None

    @staticmethod
    def of(review: Review) -> "ReviewOut":
        return ReviewOut(
            id=review.pk,
            contract_id=review.contract_id,
            rating=review.rating,
            state=review.state,
            opened_at=review.opened_at,
            ack_due_at=review.ack_due_at,
            overdue=review.is_overdue,
            acknowledged_at=review.acknowledged_at,
            acknowledged_by=review.acknowledged_by.email if review.acknowledged_by else None,
            outcome_note=review.outcome_note,
            remediation_owner=review.remediation_owner.email if review.remediation_owner else None,
            remediation_due=review.remediation_due,
            closed_at=review.closed_at,
        )


class AcceptanceOut(Schema):
    contract_id: int
    contract_number: str
    contract_state: str
    customer_id: int
    status: str
    requirements: list[RequirementOut]
    review: ReviewOut | None

    @staticmethod
    def of(view: AcceptanceView) -> "AcceptanceOut":
        contract = view.contract
        return AcceptanceOut(
            contract_id=contract.pk,
            contract_number=contract.number,
            contract_state=contract.state,
            customer_id=contract.customer_id,
            status=view.status,
            requirements=[RequirementOut.of(r) for r in view.requirements],
            review=ReviewOut.of(view.live_review) if view.live_review else None,
        )


class ConsoleRowOut(Schema):
    contract_id: int
    contract_number: str
    customer_id: int
    status: str
    counts: dict[str, int]
    review_state: str | None
    overdue: bool
    ack_due_at: datetime | None

    @staticmethod
    def of(row: ConsoleRow) -> "ConsoleRowOut":
        review = row.live_review
        return ConsoleRowOut(
            contract_id=row.contract.pk,
            contract_number=row.contract.number,
            customer_id=row.contract.customer_id,
            status=row.status,
            counts=row.counts,
            review_state=review.state if review else None,
            overdue=row.overdue,
            ack_due_at=review.ack_due_at if review else None,
        )


class ConsoleQuery(Schema):
    show: Literal["attention", "red", "yellow", "green", "unknown", "all"] = "attention"
