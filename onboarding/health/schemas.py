"""API shapes of the health score: the score with its factors (the staff customer view's
`health`), a customer's score with its history, and the managers' queue. They read the
dataclasses of onboarding.health.reads by attribute."""

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from onboarding.core.pagination import MAX_PAGE
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
