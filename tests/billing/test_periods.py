"""Periods counted in months from the billing anchor, clamped to short months."""

from datetime import UTC, datetime

import pytest

from onboarding.billing.periods import (
    add_months,
    duration_label,
    end_of_day,
    moment_stamp,
    months_between,
    period_end,
)


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 9, 30, tzinfo=UTC)


def test_a_month_after_the_31st_of_january_is_the_last_day_of_february():
    assert add_months(at(2026, 1, 31), 1) == at(2026, 2, 28)
    assert add_months(at(2028, 1, 31), 1) == at(2028, 2, 29)  # a leap year


def test_adding_months_keeps_the_time_and_crosses_years():
    assert add_months(at(2026, 11, 30), 3) == at(2027, 2, 28)
    assert add_months(at(2026, 12, 15), 12) == at(2027, 12, 15)


def test_monthly_periods_from_the_31st_go_back_to_the_31st_after_a_short_month():
    anchor = at(2026, 1, 31)
    start, ends = anchor, []
    for _ in range(4):
        start = period_end(anchor=anchor, start=start, months=1)
        ends.append(start)
    assert ends == [at(2026, 2, 28), at(2026, 3, 31), at(2026, 4, 30), at(2026, 5, 31)]


def test_a_quarter_then_a_month_after_a_cycle_change_still_counts_from_the_anchor():
    anchor = at(2026, 8, 31)
    quarter_end = period_end(anchor=anchor, start=anchor, months=3)
    assert quarter_end == at(2026, 11, 30)
    assert period_end(anchor=anchor, start=quarter_end, months=1) == at(2026, 12, 31)


def test_an_annual_period_from_the_29th_of_february_ends_on_the_28th_next_year():
    anchor = at(2028, 2, 29)
    assert period_end(anchor=anchor, start=anchor, months=12) == at(2029, 2, 28)
    assert period_end(anchor=anchor, start=at(2031, 2, 28), months=12) == at(2032, 2, 29)


def test_months_between_ignores_the_day():
    assert months_between(at(2026, 1, 31), at(2026, 2, 28)) == 1
    assert months_between(at(2026, 11, 5), at(2027, 1, 1)) == 2


def test_a_period_of_no_months_is_refused():
    with pytest.raises(ValueError):
        period_end(anchor=at(2026, 1, 1), start=at(2026, 1, 1), months=0)


def test_due_on_a_day_means_before_the_next_midnight_utc():
    assert end_of_day(at(2026, 12, 31).date()) == datetime(2027, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "label"),
    [
        (31 * 86400, "31 days"),
        (86400 + 3600, "1 day 1 hour"),
        (2 * 86400 + 3 * 3600 + 1799, "2 days 3 hours"),
        (86400 - 1, "1 day"),
        (1200, "less than an hour"),
    ],
)
def test_a_prorated_span_reads_in_days_and_hours(seconds, label):
    assert duration_label(seconds) == label


def test_a_moment_on_an_invoice_line_reads_as_a_date_and_time_in_utc():
    from zoneinfo import ZoneInfo

    moment = datetime(2026, 12, 4, 10, 5, tzinfo=ZoneInfo("Europe/Berlin"))
    assert moment_stamp(moment) == "4 Dec 2026, 09:05 UTC"
