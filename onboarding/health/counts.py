"""The managers' queue's counts (customers per band and score): counted by the worker, stored,
read by pages. The pattern of the staff navigation's counts (config/staff_counts.py).

Counting groups every real customer's score by band and score: one scan of CustomerHealth,
about a second at a million customers, so no page view counts. The periodic task
onboarding.health.tasks.health_counts_task counts every HEALTH_COUNTS_SECONDS while pages want
the counts and stores them in one cache entry (no expiry) with the moment counting began; the
queue reads that entry. A missing entry (fresh install, cache flushed) shows "not counted yet"
and the queue pages on without a total; stored counts always say when they were counted, and
the page says when they are older than HEALTH_COUNTS_STALE_SECONDS (the worker is behind).

Reading the counts marks them wanted for HEALTH_COUNTS_WANTED_SECONDS (renewed when half of
it is gone); without the mark the task counts nothing. Test customers are left out, as on the
queue itself (real_customers below, which the queue uses too).
"""

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone

from onboarding.accounts.models import Customer
from onboarding.health.models import Band, CustomerHealth

logger = logging.getLogger(__name__)

COUNTS_CACHE_KEY = "health-queue-counts:v1"
COUNTING_LOCK_KEY = "health-queue-counts:counting"
COUNTING_LOCK_SECONDS = 300
WANTED_KEY = "health-queue-counts:wanted-until"
DEFAULT_PERIOD_SECONDS = 30
DEFAULT_STALE_SECONDS = 120
DEFAULT_WANTED_SECONDS = 600
BANDS_WORST_FIRST = (Band.RED, Band.YELLOW, Band.GREEN)


def real_customers(queryset: QuerySet) -> QuerySet:
    """Kept to real customers: a test customer's score lives at its test clock's time
    (docs/test-clocks.md). An anti-join on the few test customers, as the risk board's."""
    test_customer = Customer.objects.filter(pk=OuterRef("customer_id"), test_clock__isnull=False)
    return queryset.filter(~Exists(test_customer))


@dataclass(frozen=True)
class HealthCounts:
    by_band: dict[str, dict[int, int]]  # {band: {score: customers}}
    counted_at: datetime

    def total(self, band: str = "") -> int:
        return sum(
            sum(by_score.values())
            for name, by_score in self.by_band.items()
            if not band or name == band
        )

    def age_seconds(self, now: datetime | None = None) -> float:
        return max(0.0, ((now or timezone.now()) - self.counted_at).total_seconds())

    @property
    def is_stale(self) -> bool:
        limit = getattr(settings, "HEALTH_COUNTS_STALE_SECONDS", DEFAULT_STALE_SECONDS)
        return self.age_seconds() > limit


def health_counts_count() -> dict[str, dict[int, int]]:
    """How many real customers have each score, by band (one grouped scan: the worker's)."""
    counts: dict[str, dict[int, int]] = {band: {} for band in BANDS_WORST_FIRST}
    rows = (
        real_customers(CustomerHealth.objects.all())
        .values("band", "score")
        .annotate(n=Count("customer_id"))
        .order_by()
    )
    for row in rows:
        counts.setdefault(row["band"], {})[row["score"]] = row["n"]
    return counts


def health_counts_refresh() -> HealthCounts | None:
    """Count and store; None when another worker is counting right now (its result will do)."""
    token = uuid.uuid4().hex
    if not cache.add(COUNTING_LOCK_KEY, token, COUNTING_LOCK_SECONDS):
        return None
    try:
        counted_at = timezone.now()  # the counts are at least this fresh
        by_band = health_counts_count()
        cache.set(
            COUNTS_CACHE_KEY,
            {
                # JSON-safe: scores as strings (a cache may serialise the entry as JSON).
                "by_band": {b: {str(s): n for s, n in m.items()} for b, m in by_band.items()},
                "counted_at": counted_at.isoformat(),
            },
            timeout=None,
        )
        return HealthCounts(by_band=by_band, counted_at=counted_at)
    finally:
        if cache.get(COUNTING_LOCK_KEY) == token:
            cache.delete(COUNTING_LOCK_KEY)


def wanted_seconds() -> int:
    return getattr(settings, "HEALTH_COUNTS_WANTED_SECONDS", DEFAULT_WANTED_SECONDS)


def health_counts_wanted() -> bool:
    until = cache.get(WANTED_KEY)
    return until is not None and until > time.time()


def health_counts_refresh_if_wanted() -> HealthCounts | None:
    """The periodic task's work: count while pages want the counts; not one query otherwise."""
    if not health_counts_wanted():
        return None
    return health_counts_refresh()


def _mark_wanted(until: float | None) -> None:
    now, window = time.time(), wanted_seconds()
    if until is None or until - now < window / 2:
        cache.set(WANTED_KEY, now + window, timeout=window)


def health_counts_stored() -> HealthCounts | None:
    """The last stored counts, or None before the first count: cache reads, never a count.
    Reading them marks them wanted."""
    try:
        values = cache.get_many([COUNTS_CACHE_KEY, WANTED_KEY])
        _mark_wanted(values.get(WANTED_KEY))
    except Exception:  # the cache is down: the queue shows no counts rather than failing
        logger.warning("health queue counts unreadable: the cache is unavailable", exc_info=True)
        return None
    value = values.get(COUNTS_CACHE_KEY)
    if not value:
        return None
    return HealthCounts(
        by_band={
            band: {int(score): int(n) for score, n in by_score.items()}
            for band, by_score in value["by_band"].items()
        },
        counted_at=datetime.fromisoformat(value["counted_at"]),
    )
