"""The catalogue on sale, read once per process and kept until it changes.

Every visitor sees the same plans and prices, so each process keeps one snapshot of them (and
whatever is derived from them, such as rendered plan cards) instead of asking the database on
every page. What tells a process its snapshot is out of date is a version token in the shared
cache (Redis in production, the database cache otherwise), read at most once every
CATALOG_VERSION_CHECK_SECONDS (1 by default; 0 reads it on every use): a Redis read costs about a
tenth of a page's CPU, two queries and a prefetch several times that.

Every ORM write to a product, plan or price (save, delete, queryset update/delete, bulk writes;
catalog/models.py) replaces the token and drops the writer's own snapshot at once, and replaces
the token again when its transaction commits, so no process keeps a snapshot it built from the
rows as they were before the commit. Other processes see a change within
CATALOG_VERSION_CHECK_SECONDS of its commit. A write that bypasses the ORM (raw SQL, loaddata) is
picked up when a snapshot reaches CATALOG_SNAPSHOT_MAX_AGE_SECONDS (60 by default).

Inside a transaction (atomic blocks, and every test on the `db` fixture) the catalogue is read
from the database and not kept: the transaction may hold writes that are later rolled back.
Charges never come from here: billing reads the price from the database when it buys.
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from onboarding.core.money import currencies_in_order

logger = logging.getLogger(__name__)

VERSION_KEY = "catalog:version"
DEFAULT_MAX_AGE_SECONDS = 60
DEFAULT_VERSION_CHECK_SECONDS = 1


@dataclass
class CatalogSnapshot:
    """The plans on sale at one version, with their products and prices. Read-only: the same
    objects serve every request of this process."""

    version: str
    built_at: float
    plans: list  # list[Plan], each with .product and prefetched .prices (ordered by cycle)
    by_slug: dict
    # The currencies any plan on sale has a price in, the default first (catalog/models.py).
    currencies: list[str] = field(default_factory=list)
    checked_at: float = 0.0
    derived: dict[Any, Any] = field(default_factory=dict)

    def derive(self, key: Any, build: Callable[[], Any]) -> Any:
        """Something computed from this snapshot alone (a rendered fragment), built once."""
        try:
            return self.derived[key]
        except KeyError:
            value = self.derived[key] = build()
            return value


_lock = threading.Lock()
_current: CatalogSnapshot | None = None


def _max_age() -> float:
    return float(getattr(settings, "CATALOG_SNAPSHOT_MAX_AGE_SECONDS", DEFAULT_MAX_AGE_SECONDS))


def _check_interval() -> float:
    return float(getattr(settings, "CATALOG_VERSION_CHECK_SECONDS", DEFAULT_VERSION_CHECK_SECONDS))


def catalog_version() -> str:
    """The shared version token; a new one if the cache has none (emptied, evicted, new).

    With the cache down it is "" (never a stored token): each check then rebuilds, so prices
    come from the database, and the page stays up.
    """
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
            version = cache.get(VERSION_KEY) or uuid.uuid4().hex
    except Exception:  # the cache is down: the catalogue is read from the database
        logger.warning("catalogue version unreadable: the cache is unavailable", exc_info=True)
        return ""
    return version


def _bump() -> None:
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:  # the cache is down: the write stands, snapshots age out (max age)
        logger.warning("catalogue version not replaced: the cache is unavailable", exc_info=True)


def catalog_changed() -> None:
    """The catalogue was written: every process rebuilds its snapshot on next use."""
    global _current
    _current = None
    # Replaced once the rows are committed (at once outside a transaction): a replacement inside
    # the transaction would tell other processes before the rows are there to read, and with the
    # database cache a failed cache write would abort the caller's transaction.
    transaction.on_commit(_bump, robust=True)


def _built(build: Callable[[], list], version: str) -> CatalogSnapshot:
    plans = build()
    now = time.monotonic()
    return CatalogSnapshot(
        version=version,
        built_at=now,
        checked_at=now,
        plans=plans,
        by_slug={plan.slug: plan for plan in plans},
        currencies=_currencies_of(plans),
    )


def _currencies_of(plans: list) -> list[str]:
    return currencies_in_order({price.currency for plan in plans for price in plan.prices.all()})


def catalog_snapshot(build: Callable[[], list]) -> CatalogSnapshot:
    """This process's snapshot at the current version, built with `build` when out of date.

    The version is read before the rows: a change that commits after the read bumps the
    version again, so a snapshot built from older rows is never kept under a newer version.
    """
    global _current
    if transaction.get_connection().in_atomic_block:
        return _built(build, version="")
    now = time.monotonic()
    snapshot = _current
    if snapshot is not None and now - snapshot.built_at < _max_age():
        if now - snapshot.checked_at < _check_interval():
            return snapshot
        if snapshot.version and snapshot.version == catalog_version():
            snapshot.checked_at = now
            return snapshot
    with _lock:
        snapshot = _current = _built(build, version=catalog_version())
    return snapshot


def catalog_snapshot_forget() -> None:
    """Drop this process's snapshot (tests that write rows behind the ORM's back)."""
    global _current
    _current = None
