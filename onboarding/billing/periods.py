"""Billing periods, counted in whole months from a subscription's billing anchor.

Periods are always measured from the anchor, never from the previous period's end, so a month
that is too short for the anchor's day only clamps that one period: an anchor on 31 January gives
28 (or 29) February, then 31 March again, not 28 March for ever after.
"""

import calendar
from datetime import UTC, date, datetime, time, timedelta

# Re-exported: the words of a line, in the invoice's language, live in line_texts.
from onboarding.billing.line_texts import duration_label, moment_stamp  # noqa: F401


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` moved by `months` calendar months, the day clamped to the target month's end."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def months_between(anchor: datetime, moment: datetime) -> int:
    """Whole calendar months from `anchor`'s month to `moment`'s (the day does not count)."""
    return (moment.year - anchor.year) * 12 + moment.month - anchor.month


def period_end(*, anchor: datetime, start: datetime, months: int) -> datetime:
    """The end of the period that starts at `start` and lasts `months` months from `anchor`.

    `start` is the anchor or an earlier period's end, so it lies a whole number of months from
    the anchor; the end is counted from the anchor again, which undoes any earlier clamping.
    """
    if months <= 0:
        raise ValueError("a period lasts at least one month")
    return add_months(anchor, months_between(anchor, start) + months)


def end_of_day(day: date) -> datetime:
    """The first instant after `day` in UTC: "due on D" means due before this."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
