"""The staff navigation's counts of work waiting: counted by the worker, read by pages.

Counting reads every contract in force with its acceptance requirements and every open request
(seconds at a million customers), so no request counts. The periodic task
config.tasks.staff_nav_counts_refresh counts every STAFF_NAV_COUNTS_SECONDS and stores the
counts with the moment counting began; a page reads that one cache entry. A missing entry (fresh
install, cache flushed) shows no counts until the next run, instead of every page counting at
once; an entry older than STAFF_NAV_COUNTS_STALE_SECONDS says its age (the worker is behind or
down). The entry has no expiry: the last known counts stay until replaced.

Nobody signed in to the staff console, nobody needs the counts: a page that reads them also marks
them wanted for STAFF_NAV_COUNTS_WANTED_SECONDS (a cache entry with that lifetime, renewed when
half of it is gone, so a busy console writes it once in a while, not on every page), and the
periodic task counts only while the mark is there. The first page after a quiet spell shows the
last known counts with their age; the worker's next run (seconds later) brings them up to date.
"""

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from onboarding.acceptance.selectors import acceptance_red_count
from onboarding.alerts.selectors import admin_alert_open_count
from onboarding.risk.selectors import risk_open_count
from onboarding.sysops.credit_selectors import service_credit_awaiting_count
from onboarding.sysops.requests import service_request_overdue_count

logger = logging.getLogger(__name__)

COUNTS_CACHE_KEY = "staff-nav-counts:v2"
# Held while one worker counts, so two workers never count at once; it outlives any sane count
# and lapses by itself if the worker dies mid-count.
COUNTING_LOCK_KEY = "staff-nav-counts:counting"
COUNTING_LOCK_SECONDS = 300
# The period the task runs at (settings.WORKER_PERIODIC_TASKS must agree) and when to show age.
DEFAULT_PERIOD_SECONDS = 5
DEFAULT_STALE_SECONDS = 30
# Pages mark the counts wanted until this long after they read them (a Unix time, as the value).
WANTED_KEY = "staff-nav-counts:wanted-until"
DEFAULT_WANTED_SECONDS = 300


@dataclass(frozen=True)
class StaffCounts:
    counts: dict[str, int]
    counted_at: datetime

    def age_seconds(self, now: datetime | None = None) -> float:
        return max(0.0, ((now or timezone.now()) - self.counted_at).total_seconds())

    def is_stale(self, now: datetime | None = None) -> bool:
        limit = getattr(settings, "STAFF_NAV_COUNTS_STALE_SECONDS", DEFAULT_STALE_SECONDS)
        return self.age_seconds(now) > limit


def staff_counts_count() -> dict[str, int]:
    """Work waiting, by navigation entry: the expensive part, for the worker only."""
    return {
        "requests": service_request_overdue_count(),
        "acceptance": acceptance_red_count(),
        "risk": risk_open_count(),
        "alerts": admin_alert_open_count(),
        "service_credits": service_credit_awaiting_count(),
    }


def staff_counts_refresh() -> StaffCounts | None:
    """Count and store; None when another worker is counting right now (its result will do)."""
    token = uuid.uuid4().hex
    if not cache.add(COUNTING_LOCK_KEY, token, COUNTING_LOCK_SECONDS):
        return None
    try:
        # The moment counting begins: the counts are at least this fresh.
        counted_at = timezone.now()
        stored = StaffCounts(counts=staff_counts_count(), counted_at=counted_at)
        cache.set(
            COUNTS_CACHE_KEY,
            {"counts": stored.counts, "counted_at": counted_at.isoformat()},
            timeout=None,
        )
        return stored
    finally:
        # Only our own lock: a count that outlasted it must not free the next counter's.
        if cache.get(COUNTING_LOCK_KEY) == token:
            cache.delete(COUNTING_LOCK_KEY)


def wanted_seconds() -> int:
    return getattr(settings, "STAFF_NAV_COUNTS_WANTED_SECONDS", DEFAULT_WANTED_SECONDS)


def staff_counts_wanted() -> bool:
    """True while a staff page has read the counts within the last wanted_seconds()."""
    until = cache.get(WANTED_KEY)
    return until is not None and until > time.time()


def staff_counts_refresh_if_wanted() -> StaffCounts | None:
    """The periodic task's work: count and store while staff pages want the counts; None (and
    not one query) while nobody does."""
    if not staff_counts_wanted():
        return None
    return staff_counts_refresh()


def _mark_wanted(until: float | None) -> None:
    now, window = time.time(), wanted_seconds()
    # Renewed once half the window is gone: a busy console writes the mark now and then only.
    if until is None or until - now < window / 2:
        cache.set(WANTED_KEY, now + window, timeout=window)


def staff_counts_stored() -> StaffCounts | None:
    """The last stored counts, or None before the first run: one cache read, never a count.
    Reading them marks them wanted (a cache write at most every half wanted_seconds())."""
    try:
        values = cache.get_many([COUNTS_CACHE_KEY, WANTED_KEY])
        _mark_wanted(values.get(WANTED_KEY))
    except Exception:  # the cache is down: the page shows no badges rather than failing
        logger.warning("staff nav counts unreadable: the cache is unavailable", exc_info=True)
        return None
    value = values.get(COUNTS_CACHE_KEY)
    if not value:
        return None
    return StaffCounts(
        counts=dict(value["counts"]), counted_at=datetime.fromisoformat(value["counted_at"])
    )
