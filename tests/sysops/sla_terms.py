"""Shared by the request-clock tests: a plan with Essential-like SLA terms, a test clock, and
acting at one of its moments."""

import datetime as dt
from contextlib import contextmanager

from onboarding.accounts.models import TestClock
from onboarding.core import clock
from onboarding.notifications.relay import relay_drain
from onboarding.sla.models import (
    ClockKind,
    PublicHoliday,
    ServiceCreditCap,
    ServiceHours,
    ServiceWindow,
    SlaClock,
    SlaPolicy,
)
from onboarding.sla.watch import sla_clocks_check
from tests.factories import plan_with_prices
from tests.sla.calendars import berlin
from tests.sysops.conftest import subscribe

H = dt.timedelta(hours=1)


def plan_with_sla_terms():
    """Essential-like terms in Berlin business hours with the Easter holidays; none for low."""
    hours = ServiceHours.objects.create(
        name="Business hours", time_zone="Europe/Berlin", holiday_country="DE"
    )
    for day in range(5):
        ServiceWindow.objects.create(
            service_hours=hours, weekday=day, opens=dt.time(8), closes=dt.time(18)
        )
    PublicHoliday.objects.create(country="DE", date=dt.date(2026, 4, 3), name="Good Friday")
    PublicHoliday.objects.create(country="DE", date=dt.date(2026, 4, 6), name="Easter Monday")
    plan = plan_with_prices()
    for severity, first, resolution in (("normal", 4, 16), ("high", 2, 8)):
        SlaPolicy.objects.create(
            plan=plan,
            severity=severity,
            first_response=first * H,
            resolution=resolution * H,
            service_hours=hours,
        )
    return plan


def new_test_clock() -> TestClock:
    return TestClock.objects.create(name="SLA", frozen_time=berlin(2026, 3, 13, 17))


def subscribe_on_clock(user, plan, test_clock):
    subscription = subscribe(user, plan)
    subscription.customer.test_clock = test_clock
    subscription.customer.save(update_fields=["test_clock"])
    return subscription


@contextmanager
def at(test_clock, moment):
    """Act at `moment` of the customer's test clock (the clock is moved there too, so a page
    read outside a simulation sees the same moment)."""
    test_clock.frozen_time = moment
    test_clock.save(update_fields=["frozen_time"])
    with clock.simulated(test_clock.pk, moment):
        yield


def credit_terms(plan, *, percent: int = 10, cap: int = 15) -> None:
    """The plan's service credit: `percent` per breached clock, `cap` percent of an invoice."""
    SlaPolicy.objects.filter(plan=plan).update(breach_credit_percent=percent)
    ServiceCreditCap.objects.create(plan=plan, percent_of_invoice=cap)


def clock_of(request, kind=ClockKind.FIRST_RESPONSE) -> SlaClock:
    return SlaClock.objects.of(request).get(kind=kind)


def breach(request, kind=ClockKind.FIRST_RESPONSE, *, deliver: bool = True) -> None:
    """A real customer's clock breached: the periodic check just past its deadline, and the
    relay delivering what it published."""
    sla_clocks_check(now=clock_of(request, kind).due_at + dt.timedelta(seconds=1))
    if deliver:
        relay_drain(worker_id="service-credit-test")
