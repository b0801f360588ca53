"""Reads for the pages and the API that show the health score: the customer view's card, a page of
customers' scores at once (search), the managers' queue and its chart, and a customer's history.

Each function runs a fixed number of queries whatever the number of customers or snapshots:
the card one or two, `health_for_customers` one, the queue two. How a score is computed is not
here (scoring.py); these only read what it stored.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, QuerySet

from onboarding.accounts.models import Customer
from onboarding.core import clock
from onboarding.health.charts import BandBars, Sparkline, band_bars, sparkline
from onboarding.health.models import Band, CustomerHealth, CustomerHealthSnapshot, Factor

HISTORY_DAYS = 180  # the customer view's sparkline
HISTORY_POINTS = 120  # at most this many snapshots drawn (the newest)
TREND_DAYS = 30  # CustomerHealth.trend is the change over this many days
QUEUE_PAGE_SIZE = 25
TOP_FACTORS = 3
FACTOR_LABELS = dict(Factor.choices)
BAND_LABELS = dict(Band.choices)
BANDS_WORST_FIRST = (Band.RED, Band.YELLOW, Band.GREEN)


class QueueSort:
    SCORE = "score"  # worst score first; the fastest fall first among equal scores
    TREND = "trend"  # fastest fall first; the worst score first among equal falls
    CHOICES = ((SCORE, "Worst score first"), (TREND, "Falling fastest first"))


@dataclass(frozen=True)
class FactorCost:
    """One measure of a score: how many of its `weight` points it cost, and why."""

    factor: str
    cost: int
    weight: int
    explanation: str

    @property
    def label(self) -> str:
        return FACTOR_LABELS.get(self.factor, self.factor.title())

    @classmethod
    def of(cls, entry: dict) -> "FactorCost":
        return cls(
            factor=str(entry.get("factor", "")),
            cost=int(entry.get("cost", 0)),
            weight=int(entry.get("weight", 0)),
            explanation=str(entry.get("explanation", "")),
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
        return BAND_LABELS.get(self.band, self.band)

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


@dataclass(frozen=True)
class HealthQueue:
    page: Page
    rows: list[QueueRow]
    band: str  # the band filtered on, "" for all
    sort: str
    chart: BandBars


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


def _real_customers(queryset: QuerySet) -> QuerySet:
    """Kept to real customers: a test customer's score lives at its test clock's time
    (docs/test-clocks.md). An anti-join on the few test customers, as the risk board's."""
    test_customer = Customer.objects.filter(pk=OuterRef("customer_id"), test_clock__isnull=False)
    return queryset.filter(~Exists(test_customer))


def health_band_counts() -> dict[str, dict[int, int]]:
    """How many real customers have each score, by band: {band: {score: count}} (one query)."""
    counts: dict[str, dict[int, int]] = {band: {} for band in BANDS_WORST_FIRST}
    rows = (
        _real_customers(CustomerHealth.objects.all())
        .values("band", "score")
        .annotate(n=Count("customer_id"))
        .order_by()
    )
    for row in rows:
        counts.setdefault(row["band"], {})[row["score"]] = row["n"]
    return counts


def health_queue(
    *,
    band: str | None = None,
    sort: str = QueueSort.SCORE,
    page: int = 1,
    size: int = QUEUE_PAGE_SIZE,
) -> HealthQueue:
    """Real customers' scores for managers, worst first (or falling fastest first), optionally
    of one band, a page at a time with each customer's costliest factor; with the chart of how
    many customers have each score, by band. Two queries: the chart's counts (which are the
    page count too) and the page."""
    band = band if band in BAND_LABELS else ""
    sort = sort if sort in dict(QueueSort.CHOICES) else QueueSort.SCORE
    queryset = _real_customers(CustomerHealth.objects.all())
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
    counts = health_band_counts()
    paginator = Paginator(queryset, size)
    # The chart has counted the same rows: the paginator need not count them again.
    paginator.count = sum(
        sum(by_score.values()) for name, by_score in counts.items() if not band or name == band
    )
    current = paginator.get_page(page)
    chart = band_bars(counts)
    rows = []
    for row in current.object_list:
        costliest = row.costliest(1)
        rows.append(
            QueueRow(
                customer=row.customer,
                health=_brief(row),
                top_factor=FactorCost.of(costliest[0]) if costliest else None,
            )
        )
    return HealthQueue(page=current, rows=rows, band=band, sort=sort, chart=chart)
