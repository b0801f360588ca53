"""Service time, worked examples: the ones docs/sla.md tells, and the edges."""

import datetime as dt

import pytest

from onboarding.sla.service_time import (
    NoServiceTime,
    ServiceCalendar,
    Window,
    deadline_after,
    service_elapsed,
)
from tests.sla.calendars import (
    BERLIN,
    BERLIN_24_7,
    BERLIN_OFFICE,
    DE_2026,
    NEW_YORK_OFFICE,
    US_2026,
    H,
    berlin,
    new_york,
    utc,
)


def test_a_friday_17_00_request_with_4_business_hours_is_due_monday_11_00():
    due = deadline_after(berlin(2026, 3, 13, 17), 4 * H, BERLIN_OFFICE)

    assert due == utc(2026, 3, 16, 10)  # Monday 11:00 CET
    assert due.tzinfo is dt.UTC
    assert service_elapsed(berlin(2026, 3, 13, 17), due, BERLIN_OFFICE) == 4 * H


def test_good_friday_and_easter_monday_are_skipped_in_germany():
    # Thursday 17:00: one hour on Thursday, then Friday to Monday are closed.
    due = deadline_after(berlin(2026, 4, 2, 17), 4 * H, BERLIN_OFFICE, DE_2026)

    assert due == berlin(2026, 4, 7, 11)  # Tuesday 11:00 CEST
    assert deadline_after(berlin(2026, 4, 2, 17), 4 * H, BERLIN_OFFICE) == berlin(2026, 4, 3, 11)


def test_a_whole_easter_week_counts_three_business_days_in_germany():
    elapsed = service_elapsed(berlin(2026, 4, 3), berlin(2026, 4, 10), BERLIN_OFFICE, DE_2026)

    assert elapsed == 30 * H  # Tuesday, Wednesday, Thursday; Friday the 10th not yet begun


def test_business_hours_follow_the_wall_clock_over_the_spring_forward_weekend():
    # Clocks go from 02:00 CET to 03:00 CEST on Sunday 29 March 2026.
    due = deadline_after(berlin(2026, 3, 27, 17), 4 * H, BERLIN_OFFICE)

    assert due == berlin(2026, 3, 30, 11) == utc(2026, 3, 30, 9)
    assert due - berlin(2026, 3, 27, 17) == 65 * H  # wall clock says 66 hours


def test_business_hours_follow_the_wall_clock_over_the_fall_back_weekend():
    # Clocks go from 03:00 CEST back to 02:00 CET on Sunday 25 October 2026.
    due = deadline_after(berlin(2026, 10, 23, 17), 4 * H, BERLIN_OFFICE)

    assert due == berlin(2026, 10, 26, 11) == utc(2026, 10, 26, 10)


def test_a_24_7_day_is_23_hours_at_spring_forward_and_25_at_fall_back():
    assert service_elapsed(berlin(2026, 3, 29), berlin(2026, 3, 30), BERLIN_24_7) == 23 * H
    assert service_elapsed(berlin(2026, 10, 25), berlin(2026, 10, 26), BERLIN_24_7) == 25 * H
    assert service_elapsed(berlin(2026, 6, 1), berlin(2026, 6, 2), BERLIN_24_7) == 24 * H


def test_a_24_7_clock_counts_real_hours_across_the_jump():
    due = deadline_after(berlin(2026, 3, 28, 22), 6 * H, BERLIN_24_7)

    assert due == utc(2026, 3, 29, 3)
    assert due.astimezone(BERLIN).hour == 5  # the wall clock moved seven hours


def test_a_window_opening_in_the_missing_hour_opens_when_the_clocks_jump():
    sunday_night = ServiceCalendar("Europe/Berlin", (Window(6, dt.time(2, 30), dt.time(4)),))

    spring = service_elapsed(berlin(2026, 3, 29), berlin(2026, 3, 30), sunday_night)
    autumn = service_elapsed(berlin(2026, 10, 25), berlin(2026, 10, 26), sunday_night)

    assert spring == H  # 03:00-04:00 CEST
    assert autumn == 2 * H  # 02:30-03:00 twice (CEST, then CET), then 03:00-04:00 CET
    assert deadline_after(berlin(2026, 3, 29), H / 2, sunday_night) == utc(2026, 3, 29, 1, 30)


def test_new_york_business_hours_skip_the_observed_independence_day():
    # Thursday 2 July 2026 16:00 EDT; Friday the 3rd is the observed holiday.
    due = deadline_after(new_york(2026, 7, 2, 16), 8 * H, NEW_YORK_OFFICE, US_2026)

    assert due == new_york(2026, 7, 6, 16) == utc(2026, 7, 6, 20)


def test_new_york_business_hours_over_the_spring_forward_weekend():
    # 8 March 2026: 02:00 EST becomes 03:00 EDT.
    due = deadline_after(new_york(2026, 3, 6, 16), 2 * H, NEW_YORK_OFFICE)

    assert due == utc(2026, 3, 9, 14)  # Monday 10:00 EDT


def test_new_york_and_berlin_count_the_same_instant_differently():
    start, end = utc(2026, 3, 10, 12), utc(2026, 3, 10, 20)  # 13:00-21:00 CET, 08:00-16:00 EDT

    assert service_elapsed(start, end, BERLIN_OFFICE) == 5 * H
    assert service_elapsed(start, end, NEW_YORK_OFFICE) == 7 * H


def test_a_request_opened_at_night_starts_counting_at_opening_time():
    due = deadline_after(berlin(2026, 3, 10, 23, 30), 30 * dt.timedelta(minutes=1), BERLIN_OFFICE)

    assert due == berlin(2026, 3, 11, 8, 30)
    assert service_elapsed(berlin(2026, 3, 10, 18), berlin(2026, 3, 11, 8), BERLIN_OFFICE) == (
        dt.timedelta(0)
    )


def test_a_pause_while_waiting_on_the_customer_pushes_the_deadline_back():
    waiting = [(berlin(2026, 3, 16, 9), berlin(2026, 3, 16, 10))]

    due = deadline_after(berlin(2026, 3, 13, 17), 4 * H, BERLIN_OFFICE, pauses=waiting)

    assert due == berlin(2026, 3, 16, 12)
    assert service_elapsed(berlin(2026, 3, 13, 17), due, BERLIN_OFFICE, pauses=waiting) == 4 * H


def test_overlapping_pauses_are_counted_once():
    pauses = [
        (berlin(2026, 3, 16, 9), berlin(2026, 3, 16, 11)),
        (berlin(2026, 3, 16, 10), berlin(2026, 3, 16, 12)),
    ]

    elapsed = service_elapsed(berlin(2026, 3, 16), berlin(2026, 3, 17), BERLIN_OFFICE, (), pauses)

    assert elapsed == 7 * H


def test_a_zero_duration_is_due_at_the_start_even_when_closed():
    assert deadline_after(berlin(2026, 3, 14, 3), dt.timedelta(0), BERLIN_OFFICE) == utc(
        2026, 3, 14, 2
    )


def test_a_calendar_that_never_opens_has_no_deadline():
    with pytest.raises(NoServiceTime):
        deadline_after(utc(2026, 1, 1), H, ServiceCalendar("UTC", ()))


def test_a_minute_a_week_cannot_hold_hours_within_the_search():
    # Found by the property test: 160 minutes need 160 weeks of one-minute Sundays, past the
    # three years deadline_after looks ahead.
    sundays = ServiceCalendar("Europe/Berlin", (Window(6, dt.time(0, 0), dt.time(0, 1)),))
    with pytest.raises(NoServiceTime):
        deadline_after(utc(2026, 1, 1), dt.timedelta(minutes=160), sundays)
    assert deadline_after(utc(2026, 1, 1), dt.timedelta(minutes=2), sundays) == utc(
        2026, 1, 10, 23, 1
    )


BACKWARDS_PAUSE = (utc(2026, 1, 2), utc(2026, 1, 1))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: service_elapsed(dt.datetime(2026, 1, 1), utc(2026, 1, 2), BERLIN_OFFICE), "aware"),
        (lambda: service_elapsed(utc(2026, 1, 2), utc(2026, 1, 1), BERLIN_OFFICE), "before"),
        (lambda: deadline_after(utc(2026, 1, 1), -H, BERLIN_OFFICE), "negative"),
        (
            lambda: service_elapsed(
                utc(2026, 1, 1), utc(2026, 1, 3), BERLIN_OFFICE, (), [BACKWARDS_PAUSE]
            ),
            "pause",
        ),
        (lambda: Window(7, dt.time(8), dt.time(9)), "weekday"),
        (lambda: Window(0, dt.time(9), dt.time(8)), "closes after"),
    ],
)
def test_bad_arguments_are_refused_with_a_reason(call, message):
    with pytest.raises(ValueError, match=message):
        call()
