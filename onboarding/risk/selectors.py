"""Reads: the open risks, new events since a cursor (the live board), counts over time.

Everything operations staff watch reads real customers' risks only (`operational()`): a test
customer's risks are recorded like any other but belong to its test clock. The staff API can
ask for one clock's risks instead (`test_clock_id`); a single risk is found by id either way.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils.timezone import get_current_timezone
from django.utils.translation import gettext

from onboarding.core import clock
from onboarding.core.errors import NotFound
from onboarding.risk.models import RiskEvent, RiskLevel, RiskState


def _with_relations():
    return RiskEvent.objects.select_related("contract", "customer__user", "resolved_by")


def _in_view(rows, test_clock_id: int | None):
    """Real customers' risks, or those of test clock `test_clock_id`'s customers."""
    if test_clock_id is None:
        return rows.operational()
    return rows.of_test_clock(test_clock_id)


def risk_event_get(*, event_id: int, lock: bool = False) -> RiskEvent:
    rows = RiskEvent.objects.select_for_update() if lock else _with_relations()
    try:
        return rows.get(pk=event_id)
    except (RiskEvent.DoesNotExist, ValueError, OverflowError):
        raise NotFound(gettext("No such risk event.")) from None


def risk_open_list(*, limit: int = 200, test_clock_id: int | None = None) -> list[RiskEvent]:
    """Open risks, newest first: real customers', or one test clock's."""
    rows = _in_view(_with_relations(), test_clock_id).filter(state=RiskState.OPEN)
    return list(rows.order_by("-id")[:limit])


def risk_recent_resolved(*, limit: int = 20) -> list[RiskEvent]:
    rows = _with_relations().operational().filter(state=RiskState.RESOLVED)
    return list(rows.order_by("-resolved_at")[:limit])


def risk_events_after(
    *, after_id: int, limit: int = 100, test_clock_id: int | None = None
) -> list[RiskEvent]:
    """Events raised after `after_id` (the API's cursor), oldest first: real customers', or
    one test clock's."""
    rows = _in_view(_with_relations(), test_clock_id).filter(pk__gt=after_id)
    return list(rows.order_by("id")[:limit])


def risk_board_events(*, after_id: int, since: datetime, limit: int = 100) -> list[RiskEvent]:
    """Open events for the live board: those after the cursor, and those raised since `since`
    whatever their id. Ids are taken when a row is inserted, not when it commits, so with several
    relays an event can become visible after one with a higher id; the cursor alone would pass
    it by. The caller drops ids it has already sent."""
    return list(
        _with_relations()
        .operational()
        .filter(state=RiskState.OPEN)
        .filter(Q(pk__gt=after_id) | Q(occurred_at__gte=since))
        .order_by("id")[:limit]
    )


def risk_last_id() -> int:
    """The board's first cursor. Over every risk, test customers' too: one step down the primary
    key, and the board's reads leave test customers' risks out whatever the cursor."""
    last = RiskEvent.objects.order_by("-id").values_list("id", flat=True).first()
    return last or 0


@dataclass(frozen=True)
class RiskCounts:
    days: list[date]
    red: list[int]
    yellow: list[int]
    open_red: int
    open_yellow: int

    def as_dict(self) -> dict:
        return {
            "labels": [day.isoformat() for day in self.days],
            "red": self.red,
            "yellow": self.yellow,
            "open": {"red": self.open_red, "yellow": self.open_yellow},
        }


def risk_counts_by_day(*, days: int = 14, today: date | None = None) -> RiskCounts:
    """Real customers' events raised per day and level over the last `days` days (UTC), and
    the open counts."""
    today = today or clock.now().date()
    first = today - timedelta(days=days - 1)
    rows = (
        RiskEvent.objects.operational()
        # From the first day's midnight in the current time zone, as TruncDate counts days: a
        # range on the occurred_at index, where occurred_at__date would read every row.
        .filter(occurred_at__gte=datetime.combine(first, time.min, get_current_timezone()))
        .annotate(day=TruncDate("occurred_at"))
        .values("day", "level")
        .annotate(n=Count("id"))
    )
    counts = {(row["day"], row["level"]): row["n"] for row in rows}
    span = [first + timedelta(days=i) for i in range(days)]
    open_counts = dict(
        RiskEvent.objects.operational()
        .filter(state=RiskState.OPEN)
        .values_list("level")
        .annotate(n=Count("id"))
        .values_list("level", "n")
    )
    return RiskCounts(
        days=span,
        red=[counts.get((day, RiskLevel.RED), 0) for day in span],
        yellow=[counts.get((day, RiskLevel.YELLOW), 0) for day in span],
        open_red=open_counts.get(RiskLevel.RED, 0),
        open_yellow=open_counts.get(RiskLevel.YELLOW, 0),
    )


def risk_open_count() -> int:
    """Risks still open on the board (nobody has acknowledged and resolved them)."""
    return RiskEvent.objects.operational().filter(state=RiskState.OPEN).count()
