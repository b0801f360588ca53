"""`service_time`: a duration of service time in words a reader takes in at a glance."""

import datetime as dt

from django import template

register = template.Library()


@register.filter
def service_time(value: dt.timedelta | None) -> str:
    """3 h 20 min; 45 min; 0 min. Whole minutes, rounded down: a clock never shows more
    time left than there is."""
    if value is None:
        return ""
    minutes = int(value.total_seconds() // 60)
    hours, minutes = divmod(max(minutes, 0), 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"
