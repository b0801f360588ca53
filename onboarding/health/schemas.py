"""API shapes of the health score: the score with its factors (the staff customer view's
`health`), a customer's score with its history, and the managers' queue. They read the
dataclasses of onboarding.health.reads by attribute."""

from datetime import date, datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from onboarding.core import clock
from onboarding.core.pagination import MAX_PAGE
from onboarding.health.models import HealthReview
from onboarding.health.reads import HealthQueue, QueueSort


class HealthFactorOut(Schema):
    factor: str = Field(description="payment, acceptance, contract, service, card or engagement")
    label: str
    cost: int = Field(description="Points this factor takes off the score (0 to its weight)")
    weight: int = Field(description="The most points this factor can cost (an admin setting)")
    explanation: str


class HealthOut(Schema):
    score: int = Field(description="0 to 100: 100 minus the factors' costs")
    band: Literal["red", "yellow", "green"]
    band_label: str
    trend: int = Field(description="The score now minus the score 30 days before")
    computed_at: datetime
    factors: list[HealthFactorOut] = Field(description="Every factor, in their fixed order")
    costliest: list[HealthFactorOut] = Field(
        description="The (at most three) factors that cost the most points, most first"
    )


class HealthPointOut(Schema):
    computed_at: datetime = Field(description="The score was this from this moment on")
    score: int
    band: str


class CustomerHealthOut(Schema):
    customer_id: int
    health: HealthOut | None = Field(description="null: the customer has not been scored yet")
    history: list[HealthPointOut] = Field(
        description="Scores of the last `history_days`, oldest first"
    )
    history_days: int
    review: "HealthReviewOut | None" = Field(
        None,
        description="The customer's newest review of a fall into red (live, acted or closed); "
        "null when there has been none",
    )


class HealthQueueQuery(Schema):
    band: Literal["red", "yellow", "green"] | None = None
    sort: Literal["score", "trend"] = Field(
        QueueSort.SCORE, description="score: worst first; trend: falling fastest first"
    )
    page: int = Field(1, ge=1, le=MAX_PAGE)


class HealthQueueRowOut(Schema):
    customer_id: int
    reference: str
    name: str
    score: int
    band: str
    trend: int
    computed_at: datetime
    top_factor: HealthFactorOut | None


class HealthQueueOut(Schema):
    count: int | None = Field(
        description="Real customers scored (of the band asked for), as last counted by the "
        "worker (counted_at); null before the first count"
    )
    page: int
    pages: int | None = Field(description="Pages by the stored count; null before the first")
    has_next: bool = Field(description="Whether a next page exists (from the rows themselves)")
    counted_at: datetime | None = Field(description="When the counts were counted")
    bands: dict[str, int] = Field(description="Real customers scored, per band (stored counts)")
    items: list[HealthQueueRowOut]

    @staticmethod
    def of(queue: HealthQueue) -> "HealthQueueOut":
        return HealthQueueOut(
            count=queue.page.count,
            page=queue.page.number,
            pages=queue.page.num_pages,
            has_next=queue.page.has_next,
            counted_at=queue.counts.counted_at if queue.counts else None,
            bands={bar.band: bar.count for bar in queue.chart.bands},
            items=[
                HealthQueueRowOut(
                    customer_id=row.customer.pk,
                    reference=row.customer.reference,
                    name=row.customer.display_name,
                    score=row.health.score,
                    band=row.health.band,
                    trend=row.health.trend,
                    computed_at=row.health.computed_at,
                    top_factor=(
                        HealthFactorOut.model_validate(row.top_factor, from_attributes=True)
                        if row.top_factor
                        else None
                    ),
                )
                for row in queue.rows
            ],
        )


class HealthReviewOut(Schema):
    """A manager's review of a customer's fall into red (reviews.py)."""

    id: int
    customer_id: int
    state: Literal["open", "acknowledged", "acted", "closed"]
    state_label: str
    score: int = Field(description="The score when the review opened")
    reason: str = Field(description="The score and the costliest factors at opening")
    opened_at: datetime
    ack_due_at: datetime = Field(description="A manager acknowledges by then")
    action_due_at: datetime = Field(description="The next action is due by then")
    overdue: bool = Field(description="Live and past action_due_at")
    unacknowledged_at: datetime | None = Field(
        description="When the acknowledgement timer fired (risk event raised), if it did"
    )
    acknowledged_at: datetime | None
    acknowledged_by: str | None = Field(description="The manager's email")
    acted_at: datetime | None
    acted_by: str | None
    action: Literal["contact", "offer", "escalate", "accept_risk"] | None
    owner_id: int | None
    owner: str | None
    due: date | None
    note: str
    closed_at: datetime | None
    close_reason: str

    @staticmethod
    def of(review: HealthReview) -> "HealthReviewOut":
        def email(user):
            return user.email if user is not None else None

        return HealthReviewOut(
            id=review.pk,
            customer_id=review.customer_id,
            state=review.state,
            state_label=review.get_state_display(),
            score=review.score,
            reason=review.reason,
            opened_at=review.opened_at,
            ack_due_at=review.ack_due_at,
            action_due_at=review.action_due_at,
            overdue=review.is_overdue(clock.now()),
            unacknowledged_at=review.unacknowledged_at,
            acknowledged_at=review.acknowledged_at,
            acknowledged_by=email(review.acknowledged_by),
            acted_at=review.acted_at,
            acted_by=email(review.acted_by),
            action=review.action or None,
            owner_id=review.owner_id,
            owner=email(review.owner),
            due=review.due,
            note=review.note,
            closed_at=review.closed_at,
            close_reason=review.close_reason,
        )


class HealthReviewActIn(Schema):
    action: Literal["contact", "offer", "escalate", "accept_risk"] = Field(
        description="contact the customer, offer a plan change or discount (both need owner_id "
        "and due), escalate to the admins or accept the risk (both need a note)"
    )
    owner_id: int | None = Field(None, description="An active staff user who does it")
    due: date | None = Field(None, description="By when (today or later)")
    note: str = Field("", max_length=2000)


CustomerHealthOut.model_rebuild()
