"""Reads: the clock's terms for a plan and severity, as plain values for service_time.py."""

import datetime as dt
from dataclasses import dataclass

from onboarding.catalog.models import Plan
from onboarding.sla.models import PublicHoliday, ServiceHours, SlaPolicy
from onboarding.sla.service_time import ServiceCalendar, Window


@dataclass(frozen=True)
class SlaTerms:
    first_response: dt.timedelta
    resolution: dt.timedelta
    calendar: ServiceCalendar
    holidays: frozenset[dt.date]


def service_calendar_of(hours: ServiceHours) -> ServiceCalendar:
    if hours.always_open:
        return ServiceCalendar.always_open(hours.time_zone)
    return ServiceCalendar(
        time_zone=hours.time_zone,
        windows=tuple(
            Window(
                weekday=w.weekday,
                opens=w.opens,
                closes=None if w.closes == dt.time(0) else w.closes,
            )
            for w in hours.windows.all()
        ),
    )


def holidays_of(country: str) -> frozenset[dt.date]:
    """Every public holiday of a country (a few dozen rows: small enough to take whole)."""
    if not country:
        return frozenset()
    return frozenset(PublicHoliday.objects.filter(country=country).values_list("date", flat=True))


def sla_terms_for(*, plan: Plan, severity: str) -> SlaTerms | None:
    """The plan's terms for a severity, or None where the plan promises nothing for it."""
    policy = (
        SlaPolicy.objects.select_related("service_hours")
        .prefetch_related("service_hours__windows")
        .filter(plan=plan, severity=severity)
        .first()
    )
    if policy is None:
        return None
    hours = policy.service_hours
    return SlaTerms(
        first_response=policy.first_response,
        resolution=policy.resolution,
        calendar=service_calendar_of(hours),
        holidays=holidays_of(str(hours.holiday_country or "")),
    )
