"""Calendars the SLA tests share."""

import datetime as dt
from zoneinfo import ZoneInfo

from onboarding.sla.service_time import ServiceCalendar, Window

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
H = dt.timedelta(hours=1)


def weekdays(time_zone: str, opens: int, closes: int) -> ServiceCalendar:
    """Monday to Friday, opens:00 to closes:00."""
    return ServiceCalendar(
        time_zone=time_zone,
        windows=tuple(Window(day, dt.time(opens), dt.time(closes)) for day in range(5)),
    )


BERLIN_OFFICE = weekdays("Europe/Berlin", 8, 18)  # Essential's business hours
NEW_YORK_OFFICE = weekdays("America/New_York", 9, 17)
BERLIN_24_7 = ServiceCalendar.always_open("Europe/Berlin")

DE_2026 = frozenset({dt.date(2026, 4, 3), dt.date(2026, 4, 6)})  # Good Friday, Easter Monday
US_2026 = frozenset({dt.date(2026, 7, 3)})  # Independence Day, observed


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def new_york(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NEW_YORK)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)
