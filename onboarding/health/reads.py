"""Reads for the pages and the API that show the health score: the customer view's card, a page of
customers' scores at once (search), the managers' queue and its chart, and a customer's history.

Each function runs a fixed number of queries whatever the number of customers or snapshots:
the card one or two, `health_for_customers` one, the queue one (its counts are stored by the
worker: counts.py). How a score is computed is not
here (scoring.py); these only read what it stored.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import F, QuerySet
from django.utils.translation import gettext_lazy as _

from onboarding.accounts.models import Customer
from onboarding.core import clock
from onboarding.health.charts import BandBars, Sparkline, band_bars, sparkline
from onboarding.health.counts import (
    BANDS_WORST_FIRST,
    HealthCounts,
    health_counts_count,
    health_counts_stored,
    real_customers,
)
from onboarding.health.explain import factor_explanation
from onboarding.health.models import (
    LIVE_HEALTH_REVIEW_STATES,
    Band,
    CustomerHealth,
    CustomerHealthSnapshot,
    Factor,
    HealthReview,
)

HISTORY_DAYS = 180  # the customer view's sparkline
HISTORY_POINTS = 120  # at most this many snapshots drawn (the newest)
TREND_DAYS = 30  # CustomerHealth.trend is the change over this many days
QUEUE_PAGE_SIZE = 25
TOP_FACTORS = 3
FACTOR_LABELS = dict(Factor.choices)
BAND_LABELS = dict(Band.choices)


class QueueSort:
    SCORE = "score"  # worst score first; the fastest fall first among equal scores
    TREND = "trend"  # fastest fall first; the worst score first among equal falls
    CHOICES = ((SCORE, _("Worst score first")), (TREND, _("Falling fastest first")))


@dataclass(frozen=True)
class FactorCost:
    """One measure of a score: how many of its `weight` points it cost, and why."""

    factor: str
    cost: int
    weight: int
    recorded: str  # the explanation as the score recorded it, in English
    parts: tuple = ()  # what it says as codes and numbers (scoring.FactorScore.parts)

    @property
    def explanation(self) -> str:
        """In the reader's language, worded when read (explain.py): a cached read stays right."""
        return factor_explanation({"explanation": self.recorded, "parts": list(self.parts)})

    @property
    def label(self) -> str:
        # A plain string in the reader's language (the API's schemas want a str, not a lazy one).
        return str(FACTOR_LABELS.get(self.factor, self.factor.title()))

    @classmethod
    def of(cls, entry: dict) -> "FactorCost":
        return cls(
            factor=str(entry.get("factor", "")),
            cost=int(entry.get("cost", 0)),
            weight=int(entry.get("weight", 0)),
            recorded=str(entry.get("explanation", "")),
            parts=tuple(entry.get("parts") or ()),
        )


@dataclass(frozen=True)
class HealthPoint:
    computed_at: datetime
    score: int
    band: str


@dataclass(frozen=True)
class HealthBrief:
    """What a list shows of a customer's score: the number, its band and where it is heading."""

    customer_id: int
    score: int
    band: str
    trend: int
    computed_at: datetime

    @property
    def band_label(self) -> str:
        return str(BAND_LABELS.get(self.band, self.band))

    @property
    def trend_direction(self) -> str:
        """ "up", "down" or "flat": the arrow a page draws."""
        return "up" if self.trend > 0 else "down" if self.trend < 0 else "flat"

    @property
    def trend_points(self) -> int:
        return abs(self.trend)


@dataclass(frozen=True)
class HealthCard(HealthBrief):
    """A customer's score with its explanation and history (the customer view, the API)."""

    factors: list[FactorCost] = field(default_factory=list)
    history: list[HealthPoint] = field(default_factory=list)  # oldest first
    history_days: int = HISTORY_DAYS
    # A red customer's newest review of its fall into red (reviews.py); read only when red.
    review: HealthReview | None = None

    @property
    def costliest(self) -> list[FactorCost]:
        """The factors that cost the most points, most first, those costing nothing left out
        (CustomerHealth.costliest's order: equal costs keep the factors' own order)."""
        costing = [f for f in self.factors if f.cost > 0]
        return sorted(costing, key=lambda f: -f.cost)[:TOP_FACTORS]

    @property
    def sparkline(self) -> Sparkline:
        return sparkline(
            [(point.computed_at, point.score) for point in self.history],
            until=max(clock.now(), self.computed_at),
            current=self.score,
            days=self.history_days,
        )


@dataclass(frozen=True)
class QueueRow:
    customer: Customer
    health: HealthBrief
    top_factor: FactorCost | None
    review_id: int | None = None  # the live review of a red customer's fall into red


@dataclass(frozen=True)
class HealthQueue:
    page: "QueuePage"
    rows: list[QueueRow]
    band: str  # the band filtered on, "" for all
    sort: str
    chart: BandBars
    counts: HealthCounts | None  # the stored counts the chart draws; None before the first


def _brief(row: CustomerHealth) -> HealthBrief:
    return HealthBrief(
        customer_id=row.customer_id,
        score=row.score,
        band=row.band,
        trend=row.trend,
        computed_at=row.computed_at,
    )


_BRIEF_COLUMNS = ("customer_id", "score", "band", "trend", "computed_at")


def _history(customer_id: int, *, days: int, limit: int = HISTORY_POINTS) -> list[HealthPoint]:
    since = clock.now() - timedelta(days=days)
    rows = (
        CustomerHealthSnapshot.objects.filter(customer_id=customer_id, computed_at__gte=since)
        .order_by("-computed_at", "-id")
        .values_list("computed_at", "score", "band")[:limit]
    )
    return [HealthPoint(at, score, band) for at, score, band in reversed(rows)]


def customer_health_card(*, customer_id: int, days: int = HISTORY_DAYS) -> HealthCard | None:
    """The customer's current score, its factors and its last `days` of history, or None when
    the customer has not been scored yet. One query, and a second for the history when scored."""
    row = CustomerHealth.objects.filter(customer_id=customer_id).first()
    if row is None:
        return None
    return HealthCard(
        **{name: getattr(row, name) for name in _BRIEF_COLUMNS},
        factors=[FactorCost.of(entry) for entry in row.factors or []],
        history=_history(customer_id, days=days),
        history_days=days,
        review=_red_review(customer_id) if row.band == Band.RED else None,
    )


def _red_review(customer_id: int) -> HealthReview | None:
    return (
        HealthReview.objects.filter(customer_id=customer_id)
        .select_related("owner")
        .order_by("-opened_at", "-id")
        .first()
    )


def health_history(*, customer_id: int, days: int = HISTORY_DAYS) -> list[HealthPoint]:
    """The customer's scores of the last `days` days, oldest first (one query)."""
    return _history(customer_id, days=days)


def health_for_customers(*, customer_ids: list[int]) -> dict[int, HealthBrief]:
    """The scores of these customers by customer id, in one query; a customer not yet scored is
    missing from the answer."""
    if not customer_ids:
        return {}
    rows = CustomerHealth.objects.filter(customer_id__in=list(customer_ids)).only(*_BRIEF_COLUMNS)
    return {row.customer_id: _brief(row) for row in rows}


def health_band_counts() -> dict[str, dict[int, int]]:
    """How many real customers have each score, by band: {band: {score: count}} (one query,
    a scan of every score: for the worker and tests, never a page; see counts.py)."""
    return health_counts_count()


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue. `count` and `num_pages` come from the stored counts (None before
    the first count) and may lag; `has_next` and `past_end` come from the page's own rows, so a
    page that exists is always shown and one past the end says so instead of failing."""

    number: int
    size: int
    count: int | None
    has_next: bool
    past_end: bool  # no row on this page, and it is not the first

    @property
    def num_pages(self) -> int | None:
        if self.count is None:
            return None
        pages = max(1, -(-self.count // self.size))
        # The counts lag: never say fewer pages than the rows show there are.
        if not self.past_end:
            pages = max(pages, self.number + (1 if self.has_next else 0))
        return pages

    @property
    def last_page(self) -> int:
        return self.num_pages or 1

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def previous_page_number(self) -> int:
        return min(self.number - 1, self.last_page) if self.past_end else self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def queue_queryset(*, band: str, sort: str) -> QuerySet:
    """The queue's rows in its order: (score, trend, customer) or (trend, score, customer),
    optionally of one band; each of the four read along the health 0003 index that matches it."""
    queryset = real_customers(CustomerHealth.objects.all())
    if band:
        queryset = queryset.filter(band=band)
    order = ("score", "trend") if sort == QueueSort.SCORE else ("trend", "score")
    queryset = (
        queryset.select_related("customer__user")
        .only(
            *_BRIEF_COLUMNS,
            "factors",
            "customer__user_id",
            "customer__company",
            "customer__test_clock_id",
            "customer__user__first_name",
            "customer__user__last_name",
            "customer__user__email",
        )
        .order_by(*order, F("customer_id").asc())
    )
    return queryset


def health_queue(
    *,
    band: str | None = None,
    sort: str = QueueSort.SCORE,
    page: int = 1,
    size: int = QUEUE_PAGE_SIZE,
) -> HealthQueue:
    """Real customers' scores for managers, worst first (or falling fastest first), optionally
    of one band, a page at a time with each customer's costliest factor; with the chart of how
    many customers have each score, by band. One query (the page, read along an index that
    matches its order: health 0003) and one cache read (the stored counts, counts.py)."""
    band = band if band in BAND_LABELS else ""
    sort = sort if sort in dict(QueueSort.CHOICES) else QueueSort.SCORE
    page = max(1, int(page))
    queryset = queue_queryset(band=band, sort=sort)
    counts = health_counts_stored()
    offset = (page - 1) * size
    # One row more than the page: whether a next page exists, whatever the counts say.
    found = list(queryset[offset : offset + size + 1])
    current = QueuePage(
        number=page,
        size=size,
        count=counts.total(band) if counts else None,
        has_next=len(found) > size,
        past_end=not found and page > 1,
    )
    rows = []
    shown = found[:size]
    red = [row.customer_id for row in shown if row.band == Band.RED]
    live = HealthReview.objects.filter(customer_id__in=red, state__in=LIVE_HEALTH_REVIEW_STATES)
    reviews = dict(live.values_list("customer_id", "id")) if red else {}
    for row in shown:
        costliest = row.costliest(1)
        rows.append(
            QueueRow(
                customer=row.customer,
                health=_brief(row),
                top_factor=FactorCost.of(costliest[0]) if costliest else None,
                review_id=reviews.get(row.customer_id),
            )
        )
    chart = band_bars(counts.by_band if counts else {b: {} for b in BANDS_WORST_FIRST})
    return HealthQueue(page=current, rows=rows, band=band, sort=sort, chart=chart, counts=counts)
