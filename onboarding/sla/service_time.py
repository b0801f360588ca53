"""Service time: how much of a stretch of real time counts towards a service-level clock.

Pure functions over a small calendar value; no ORM here (selectors.py builds the calendar from
the models). The rule, stated once: the clock runs at an instant when the wall-clock time at that
instant, in the calendar's time zone, lies inside an opening window of that weekday, the wall
date is not a public holiday, and the instant is not paused. Every datetime given and returned is
aware; what is returned is in UTC.

Consequences of that rule across daylight-saving changes, both of them real time:
- spring-forward: wall times that never happen are never open; a window opening in the gap
  (02:30 in Berlin on the last Sunday of March) opens when the clocks jump (03:00 CEST);
- fall-back: wall times that happen twice are open twice, so a 24-hour day has 25 real hours.
"""

import datetime as dt
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

DAY = dt.timedelta(days=1)
ZERO = dt.timedelta(0)
# No deadline lies further than this: a calendar that never opens has none.
SEARCH_LIMIT = dt.timedelta(days=3 * 366)

Interval = tuple[dt.datetime, dt.datetime]


class NoServiceTime(ValueError):
    """The calendar never opens (within SEARCH_LIMIT), so no deadline can be reached."""


@dataclass(frozen=True)
class Window:
    """An opening window on one weekday (0 = Monday), in wall-clock time; `closes` None is
    midnight at the end of the day."""

    weekday: int
    opens: dt.time
    closes: dt.time | None

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday {self.weekday} is not 0 (Monday) to 6 (Sunday)")
        if self.closes is not None and self.closes <= self.opens:
            raise ValueError("a window closes after it opens (split windows over midnight)")


ALL_DAY = tuple(Window(weekday=day, opens=dt.time(0), closes=None) for day in range(7))


@dataclass(frozen=True)
class ServiceCalendar:
    time_zone: str
    windows: tuple[Window, ...]

    @classmethod
    def always_open(cls, time_zone: str = "UTC") -> "ServiceCalendar":
        return cls(time_zone=time_zone, windows=ALL_DAY)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def windows_on(self, weekday: int) -> list[Window]:
        return sorted((w for w in self.windows if w.weekday == weekday), key=lambda w: w.opens)


def _aware(value: dt.datetime, name: str) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")
    return value.astimezone(dt.UTC)


def _utc(naive: dt.datetime) -> dt.datetime:
    return naive.replace(tzinfo=dt.UTC)


def _offset(zone: ZoneInfo, at: dt.datetime) -> dt.timedelta:
    return at.astimezone(zone).utcoffset()


def _constant_offset_spans(
    zone: ZoneInfo, lo: dt.datetime, hi: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime, dt.timedelta]]:
    """Split [lo, hi) (UTC, at most a day or so) where the zone's offset changes. Zones change
    offset at most once in a day, at a whole second: bisect to it."""
    first, last = _offset(zone, lo), _offset(zone, hi)
    if first == last:
        return [(lo, hi, first)]
    low, high = 0, int((hi - lo).total_seconds())  # offset(lo + low) == first != offset(lo + high)
    while high - low > 1:
        middle = (low + high) // 2
        if _offset(zone, lo + dt.timedelta(seconds=middle)) == first:
            low = middle
        else:
            high = middle
    change = lo + dt.timedelta(seconds=high)
    return [(lo, change, first), (change, hi, last)]


@lru_cache(maxsize=4096)
def _open_on_utc_day(
    calendar: ServiceCalendar, holidays: frozenset[dt.date], day: dt.date
) -> tuple[Interval, ...]:
    """The open intervals within the UTC day `day`, in order (cached: clocks ask for the same
    days again and again)."""
    zone = calendar.zone
    lo = dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)
    found: list[Interval] = []
    for start, end, offset in _constant_offset_spans(zone, lo, lo + DAY):
        # In this span wall time is UTC + offset, a straight line: intersect it with each window.
        wall_lo = (start + offset).replace(tzinfo=None)
        wall_hi = (end + offset).replace(tzinfo=None)
        date = wall_lo.date()
        while dt.datetime.combine(date, dt.time(0)) < wall_hi:
            if date not in holidays:
                for window in calendar.windows_on(date.weekday()):
                    opens = dt.datetime.combine(date, window.opens)
                    closes = (
                        dt.datetime.combine(date + DAY, dt.time(0))
                        if window.closes is None
                        else dt.datetime.combine(date, window.closes)
                    )
                    a, b = max(opens, wall_lo), min(closes, wall_hi)
                    if a < b:
                        found.append((_utc(a - offset), _utc(b - offset)))
            date += DAY
    return tuple(_merged(found))


def _merged(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _open_intervals(
    calendar: ServiceCalendar, holidays: frozenset[dt.date], start: dt.datetime, end: dt.datetime
) -> Iterator[Interval]:
    """The open intervals within [start, end), in order; adjoining ones are not merged (the
    callers only add up lengths)."""
    day = start.date()
    while day <= end.date():
        for a, b in _open_on_utc_day(calendar, holidays, day):
            if b > start and a < end:
                yield max(a, start), min(b, end)
        day += DAY


def _minus_pauses(interval: Interval, pauses: list[Interval]) -> Iterator[Interval]:
    a, b = interval
    for p, q in pauses:
        if q <= a:
            continue
        if p >= b:
            break
        if p > a:
            yield a, p
        a = max(a, q)
        if a >= b:
            return
    if a < b:
        yield a, b


def _pauses(pauses: Iterable[Interval]) -> list[Interval]:
    checked = []
    for p, q in pauses:
        p, q = _aware(p, "a pause's start"), _aware(q, "a pause's end")
        if q < p:
            raise ValueError("a pause ends after it starts")
        checked.append((p, q))
    return _merged(checked)


def service_elapsed(
    start: dt.datetime,
    end: dt.datetime,
    calendar: ServiceCalendar,
    holidays: Collection[dt.date] = (),
    pauses: Iterable[Interval] = (),
) -> dt.timedelta:
    """The service time between `start` and `end`: the open, unpaused part of [start, end)."""
    start, end = _aware(start, "start"), _aware(end, "end")
    if end < start:
        raise ValueError("end is before start")
    paused, days_off = _pauses(pauses), frozenset(holidays)
    total = ZERO
    for interval in _open_intervals(calendar, days_off, start, end):
        for p, q in _minus_pauses(interval, paused):
            total += q - p
    return total


def deadline_after(
    start: dt.datetime,
    duration: dt.timedelta,
    calendar: ServiceCalendar,
    holidays: Collection[dt.date] = (),
    pauses: Iterable[Interval] = (),
) -> dt.datetime:
    """The earliest instant (UTC) by which `duration` of service time has run from `start`.
    A zero duration is due at `start` itself."""
    start = _aware(start, "start")
    if duration < ZERO:
        raise ValueError("duration is negative")
    if duration == ZERO:
        return start
    paused, days_off = _pauses(pauses), frozenset(holidays)
    remaining = duration
    for interval in _open_intervals(calendar, days_off, start, start + SEARCH_LIMIT):
        for p, q in _minus_pauses(interval, paused):
            if q - p >= remaining:
                return p + remaining
            remaining -= q - p
    raise NoServiceTime("the calendar does not open often enough to reach this deadline")


def is_open(
    at: dt.datetime,
    calendar: ServiceCalendar,
    holidays: Collection[dt.date] = (),
    pauses: Iterable[Interval] = (),
) -> bool:
    """Whether the clock runs at the instant `at` (the rule in the module's docstring, read
    straight off the wall clock)."""
    at = _aware(at, "at")
    if any(p <= at < q for p, q in _pauses(pauses)):
        return False
    wall = at.astimezone(calendar.zone)
    if wall.date() in holidays:
        return False
    moment = wall.time().replace(tzinfo=None, fold=0)
    return any(
        w.opens <= moment and (w.closes is None or moment < w.closes)
        for w in calendar.windows_on(wall.weekday())
    )
