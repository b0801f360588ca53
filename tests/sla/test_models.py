"""The SLA models: field-level errors for bad input, severities that match sysops', and the
selector that turns the rows into a clock's terms."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from onboarding.sla.models import PublicHoliday, ServiceHours, ServiceWindow, Severity, SlaPolicy
from onboarding.sla.selectors import sla_terms_for
from onboarding.sla.service_time import deadline_after
from onboarding.sysops.models import Severity as RequestSeverity
from tests.factories import plan_with_prices
from tests.sla.calendars import H, berlin

pytestmark = pytest.mark.django_db


def _errors(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        instance.full_clean()
    return refused.value.message_dict


def _office(**fields) -> ServiceHours:
    fields = {"name": "Office", "time_zone": "Europe/Berlin", "holiday_country": "DE", **fields}
    return ServiceHours.objects.create(**fields)


def test_the_sla_severities_are_the_requests_severities():
    assert Severity.choices == RequestSeverity.choices


def test_an_unknown_time_zone_is_a_field_error():
    errors = _errors(ServiceHours(name="Mars", time_zone="Mars/Olympus_Mons"))

    assert list(errors) == ["time_zone"]
    assert "not an IANA time zone" in errors["time_zone"][0]


def test_a_window_closing_before_it_opens_is_a_field_error():
    window = ServiceWindow(service_hours=_office(), weekday=0, opens=dt.time(18), closes=dt.time(8))

    assert list(_errors(window)) == ["closes"]


def test_a_window_closing_at_midnight_is_accepted():
    window = ServiceWindow(service_hours=_office(), weekday=0, opens=dt.time(20), closes=dt.time(0))

    window.full_clean()


def test_a_window_overlapping_another_on_the_same_day_is_a_field_error():
    office = _office()
    ServiceWindow.objects.create(
        service_hours=office, weekday=0, opens=dt.time(8), closes=dt.time(12)
    )

    overlapping = ServiceWindow(
        service_hours=office, weekday=0, opens=dt.time(11), closes=dt.time(14)
    )
    to_midnight = ServiceWindow(
        service_hours=office, weekday=0, opens=dt.time(6), closes=dt.time(0)
    )
    adjoining = ServiceWindow(
        service_hours=office, weekday=0, opens=dt.time(12), closes=dt.time(14)
    )
    other_day = ServiceWindow(
        service_hours=office, weekday=1, opens=dt.time(11), closes=dt.time(14)
    )

    assert list(_errors(overlapping)) == ["opens"]
    assert list(_errors(to_midnight)) == ["opens"]
    adjoining.full_clean()
    other_day.full_clean()


def test_a_second_holiday_on_the_same_day_in_one_country_is_refused():
    PublicHoliday.objects.create(country="DE", date=dt.date(2026, 12, 25), name="Christmas Day")

    errors = _errors(PublicHoliday(country="DE", date=dt.date(2026, 12, 25), name="Again"))
    PublicHoliday(country="FR", date=dt.date(2026, 12, 25), name="Noël").full_clean()

    assert "__all__" in errors


def test_policy_times_must_be_positive_and_resolution_not_before_first_response():
    plan, office = plan_with_prices(), _office()

    def policy(first: dt.timedelta, resolution: dt.timedelta) -> SlaPolicy:
        return SlaPolicy(
            plan=plan,
            severity=Severity.HIGH,
            first_response=first,
            resolution=resolution,
            service_hours=office,
        )

    assert list(_errors(policy(dt.timedelta(0), 4 * H))) == ["first_response"]
    assert list(_errors(policy(4 * H, -H))) == ["resolution"]
    assert list(_errors(policy(4 * H, 2 * H))) == ["resolution"]
    assert list(
        _errors(
            SlaPolicy(
                plan=plan, severity="urgent", first_response=H, resolution=H, service_hours=office
            )
        )
    ) == ["severity"]


def test_the_terms_for_a_plan_and_severity_carry_its_calendar_and_country_holidays():
    plan, office = plan_with_prices(), _office()
    for day in range(5):
        ServiceWindow.objects.create(
            service_hours=office, weekday=day, opens=dt.time(8), closes=dt.time(18)
        )
    PublicHoliday.objects.create(country="DE", date=dt.date(2026, 4, 6), name="Easter Monday")
    PublicHoliday.objects.create(country="DE", date=dt.date(2026, 4, 3), name="Good Friday")
    PublicHoliday.objects.create(country="FR", date=dt.date(2026, 4, 2), name="Not ours")
    SlaPolicy.objects.create(
        plan=plan,
        severity=Severity.HIGH,
        first_response=4 * H,
        resolution=16 * H,
        service_hours=office,
    )

    terms = sla_terms_for(plan=plan, severity=Severity.HIGH)

    assert sla_terms_for(plan=plan, severity=Severity.LOW) is None
    assert terms.holidays == {dt.date(2026, 4, 3), dt.date(2026, 4, 6)}
    due = deadline_after(
        berlin(2026, 4, 2, 17), terms.first_response, terms.calendar, terms.holidays
    )
    assert due == berlin(2026, 4, 7, 11)


def test_an_always_open_calendar_ignores_its_windows():
    plan, hours = plan_with_prices(), _office(always_open=True, holiday_country="")
    ServiceWindow.objects.create(
        service_hours=hours, weekday=0, opens=dt.time(8), closes=dt.time(9)
    )
    SlaPolicy.objects.create(
        plan=plan,
        severity=Severity.CRITICAL,
        first_response=H,
        resolution=4 * H,
        service_hours=hours,
    )

    terms = sla_terms_for(plan=plan, severity=Severity.CRITICAL)

    assert deadline_after(berlin(2026, 3, 14, 3), terms.resolution, terms.calendar) == berlin(
        2026, 3, 14, 7
    )
    assert terms.holidays == frozenset()


def test_models_and_migrations_agree():
    call_command("makemigrations", "sla", "--check", "--dry-run", verbosity=0)
