"""Whole-day counts as people say them: {{ n|days_ago }} and {{ n|days }}.

The models count calendar days in the business time zone (a contract's `days_since_issue`,
`days_left`); these filters only put the number into words, so that a page reads "issued today"
rather than "issued 0 days ago", and "1 day left" rather than "1 days left". None (a contract not
issued yet) renders as nothing, so the template decides what to say instead.
"""

from django import template
from django.utils.translation import gettext, ngettext

register = template.Library()


@register.filter
def days(count: int | None) -> str:
    """A number of days with its noun: "1 day", "0 days", "30 days"."""
    count = _whole(count)
    if count is None:
        return ""
    return ngettext("%(count)d day", "%(count)d days", abs(count)) % {"count": count}


@register.filter
def days_ago(count: int | None) -> str:
    """How long ago, counted in calendar days: "today", "yesterday", "5 days ago".

    A negative count (a date ahead of today) reads "tomorrow" or "in N days"."""
    count = _whole(count)
    if count is None:
        return ""
    if count == 0:
        return gettext("today")
    if count == 1:
        return gettext("yesterday")
    if count == -1:
        return gettext("tomorrow")
    if count < 0:
        return ngettext("in %(count)d day", "in %(count)d days", -count) % {"count": -count}
    return ngettext("%(count)d day ago", "%(count)d days ago", count) % {"count": count}


def _whole(value: object) -> int | None:
    """The count as an int; None for nothing or for a value that is not a whole number (a
    template must never fail over how a number is worded)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
