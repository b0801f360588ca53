"""Whole-day counts as people say them: {{ n|days_ago }} and {{ n|days }}.

The models count calendar days in the business time zone (a contract's `days_since_issue`,
`days_left`); these filters only put the number into words, so that a page reads "issued today"
rather than "issued 0 days ago", and "1 day left" rather than "1 days left". None (a contract not
issued yet) renders as nothing, so the template decides what to say instead.
"""

from django import template

register = template.Library()


@register.filter
def days(count: int | None) -> str:
    """A number of days with its noun: "1 day", "0 days", "30 days"."""
    count = _whole(count)
    if count is None:
        return ""
    return f"{count} day" if abs(count) == 1 else f"{count} days"


@register.filter
def days_ago(count: int | None) -> str:
    """How long ago, counted in calendar days: "today", "yesterday", "5 days ago".

    A negative count (a date ahead of today) reads "tomorrow" or "in N days"."""
    count = _whole(count)
    if count is None:
        return ""
    if count == 0:
        return "today"
    if count == 1:
        return "yesterday"
    if count == -1:
        return "tomorrow"
    if count < 0:
        return f"in {days(-count)}"
    return f"{days(count)} ago"


def _whole(value: object) -> int | None:
    """The count as an int; None for nothing or for a value that is not a whole number (a
    template must never fail over how a number is worded)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
