"""Properties of service time over any calendar, time zone, holidays and pauses, judged against
a minute-by-minute reading of the wall clock (the rule in service_time's docstring)."""

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from onboarding.sla.service_time import (
    SEARCH_LIMIT,
    NoServiceTime,
    ServiceCalendar,
    Window,
    deadline_after,
    is_open,
    service_elapsed,
)

MINUTE = dt.timedelta(minutes=1)
ZONES = ["Europe/Berlin", "America/New_York", "UTC", "Australia/Lord_Howe", "Asia/Kolkata"]
# Days around the 2026 daylight-saving changes (Berlin, New York, Lord Howe), and a plain one.
AROUND = [
    dt.datetime(2026, 3, 28, tzinfo=dt.UTC),
    dt.datetime(2026, 10, 24, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 7, tzinfo=dt.UTC),
    dt.datetime(2026, 10, 31, tzinfo=dt.UTC),
    dt.datetime(2026, 4, 4, tzinfo=dt.UTC),
    dt.datetime(2026, 6, 10, tzinfo=dt.UTC),
]


@st.composite
def day_windows(draw, weekday: int) -> list[Window]:
    """Non-overlapping windows on one weekday, on whole minutes (1440 closes at midnight)."""
    points = sorted(draw(st.lists(st.integers(0, 1440), unique=True, max_size=6)))
    pairs = zip(points[::2], points[1::2], strict=False)

    def at(minute: int) -> dt.time:
        return dt.time(minute // 60, minute % 60)

    return [Window(weekday, at(a), None if b == 1440 else at(b)) for a, b in pairs]


@st.composite
def calendars(draw) -> ServiceCalendar:
    zone = draw(st.sampled_from(ZONES))
    if draw(st.booleans()) and draw(st.booleans()):
        return ServiceCalendar.always_open(zone)
    windows = [w for day in range(7) for w in draw(day_windows(day))]
    return ServiceCalendar(time_zone=zone, windows=tuple(windows))


@st.composite
def scenarios(draw, whole_minutes: bool = True):
    calendar = draw(calendars())
    start = draw(st.sampled_from(AROUND)) + draw(st.integers(-2 * 1440, 2 * 1440)) * MINUTE
    if not whole_minutes:
        start += dt.timedelta(microseconds=draw(st.integers(0, 59_999_999)))
    end = start + draw(st.integers(0, 3 * 1440)) * MINUTE
    first = (start - dt.timedelta(days=1)).date()
    holidays = frozenset(
        first + dt.timedelta(days=n) for n in draw(st.sets(st.integers(0, 5), max_size=3))
    )
    pauses = [
        (start + a * MINUTE, start + (a + length) * MINUTE)
        for a, length in draw(
            st.lists(st.tuples(st.integers(-600, 4000), st.integers(0, 900)), max_size=3)
        )
    ]
    return calendar, start, end, holidays, pauses


def wall_clock_open(at: dt.datetime, calendar: ServiceCalendar, holidays, pauses) -> bool:
    """The rule read off the wall clock, written apart from the code under test."""
    if any(a <= at < b for a, b in pauses):
        return False
    wall = at.astimezone(ZoneInfo(calendar.time_zone))
    if wall.date() in holidays:
        return False
    minute = wall.hour * 60 + wall.minute
    for w in calendar.windows:
        closes = 1440 if w.closes is None else w.closes.hour * 60 + w.closes.minute
        if w.weekday == wall.weekday() and w.opens.hour * 60 + w.opens.minute <= minute < closes:
            return True
    return False


def minutes_open(calendar, start, end, holidays, pauses) -> dt.timedelta:
    minutes, at = 0, start
    while at < end:
        minutes += wall_clock_open(at, calendar, holidays, pauses)
        at += MINUTE
    return minutes * MINUTE


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_elapsed_service_time_is_exactly_the_open_unpaused_minutes(scenario):
    calendar, start, end, holidays, pauses = scenario

    elapsed = service_elapsed(start, end, calendar, holidays, pauses)

    # Equal to the minute count: nothing outside service hours, on holidays or paused counts.
    assert elapsed == minutes_open(calendar, start, end, holidays, pauses)


@settings(max_examples=300, deadline=None)
@given(scenarios(whole_minutes=False))
def test_elapsed_service_time_never_exceeds_wall_time_and_adds_up(scenario):
    calendar, start, end, holidays, pauses = scenario
    middle = start + (end - start) / 3

    elapsed = service_elapsed(start, end, calendar, holidays, pauses)

    assert dt.timedelta(0) <= elapsed <= end - start
    assert elapsed == service_elapsed(start, middle, calendar, holidays, pauses) + service_elapsed(
        middle, end, calendar, holidays, pauses
    )


@settings(max_examples=300, deadline=None)
@given(
    scenarios(whole_minutes=False),
    st.integers(1, 5 * 24 * 3600 * 10**6).map(lambda us: dt.timedelta(microseconds=us)),
)
def test_deadline_after_is_the_inverse_of_service_elapsed(scenario, duration):
    calendar, start, _, holidays, pauses = scenario
    assume(calendar.windows)

    try:
        due = deadline_after(start, duration, calendar, holidays, pauses)
    except NoServiceTime:
        # Refused only when the calendar truly does not open for that long within the search
        # (a minute a week cannot hold hours of service time).
        horizon = start + SEARCH_LIMIT
        assert service_elapsed(start, horizon, calendar, holidays, pauses) < duration
        return

    assert due.tzinfo is dt.UTC
    assert service_elapsed(start, due, calendar, holidays, pauses) == duration
    # The earliest such instant: a microsecond sooner is not enough, and the clock ran into it.
    just_before = due - dt.timedelta(microseconds=1)
    assert service_elapsed(start, just_before, calendar, holidays, pauses) < duration
    assert is_open(just_before, calendar, holidays, pauses)


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.integers(0, 3 * 1440))
def test_is_open_agrees_with_the_wall_clock(scenario, minutes):
    calendar, start, _, holidays, pauses = scenario
    at = start + minutes * MINUTE

    assert is_open(at, calendar, holidays, pauses) == wall_clock_open(
        at, calendar, holidays, pauses
    )


@settings(max_examples=200, deadline=None)
@given(scenarios(whole_minutes=False))
def test_nothing_counts_inside_a_pause_or_a_stretch_the_calendar_is_closed(scenario):
    calendar, start, end, holidays, pauses = scenario

    # Paused throughout: zero, whatever the calendar.
    assert service_elapsed(start, end, calendar, holidays, [(start, end)]) == dt.timedelta(0)
    # A stretch between two whole minutes the wall clock reads as closed counts nothing. The
    # windows, holidays and zone changes fall on whole minutes, but these pauses need not: one
    # that ends inside the minute makes its start no reading of the rest of it.
    at = start.replace(second=0, microsecond=0) + MINUTE
    pause_inside = any(at < edge < at + MINUTE for pause in pauses for edge in pause)
    if at < end and not pause_inside and not wall_clock_open(at, calendar, holidays, pauses):
        assert service_elapsed(at, at + MINUTE, calendar, holidays, pauses) == dt.timedelta(0)
