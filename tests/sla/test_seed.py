"""The SLA seed: holidays for DE, FR, GB and US 2026-2028 that follow each country's rules, a
policy per severity for every demo plan, idempotent and audited; and the admin edits them."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from onboarding.audit.models import AuditEntry
from onboarding.catalog.models import Plan
from onboarding.demo.services import _catalog_load, demo_data_load
from onboarding.sla.models import (
    PublicHoliday,
    ServiceCreditCap,
    ServiceHours,
    Severity,
    SlaPolicy,
)
from onboarding.sla.seed import PUBLIC_HOLIDAYS, sla_seed
from onboarding.sla.selectors import CreditTerms, sla_credit_terms_for, sla_terms_for
from onboarding.sla.service_time import deadline_after
from tests.sla.calendars import H, berlin

D = dt.date
YEARS = (2026, 2027, 2028)


def _easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (the anonymous algorithm), to check the table against."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return D(year, month, day + 1)


def _dates(country: str) -> set[dt.date]:
    return {D(y, m, d) for y, m, d, _ in PUBLIC_HOLIDAYS[country]}


def test_easter_in_the_check_is_right():
    assert [_easter(y) for y in YEARS] == [D(2026, 4, 5), D(2027, 3, 28), D(2028, 4, 16)]


@pytest.mark.parametrize("country", ["DE", "FR", "GB"])
def test_the_easter_holidays_move_with_easter(country):
    dates = _dates(country)
    for year in YEARS:
        easter = _easter(year)
        assert easter + dt.timedelta(days=1) in dates  # Easter Monday
        if country != "FR":
            assert easter - dt.timedelta(days=2) in dates  # Good Friday
        if country != "GB":
            assert easter + dt.timedelta(days=39) in dates  # Ascension
            assert easter + dt.timedelta(days=50) in dates  # Whit Monday


def test_each_country_has_its_number_of_holidays_a_year_and_gb_and_us_fall_on_weekdays():
    per_year = {"DE": 9, "FR": 11, "GB": 8, "US": 11}
    for country, count in per_year.items():
        rows = PUBLIC_HOLIDAYS[country]
        # US New Year 2028 (a Saturday) is observed on Friday 31 December 2027.
        observed_in = [y + (country == "US" and (m, d) == (12, 31)) for y, m, d, _ in rows]
        assert [observed_in.count(y) for y in YEARS] == [count] * 3, country
        assert len(_dates(country)) == len(rows)
    for country in ("GB", "US"):  # substitute and observed days never land on a weekend
        assert all(day.weekday() < 5 for day in _dates(country))


def test_gb_and_us_move_weekend_holidays_to_the_rules_days():
    assert {D(2026, 12, 28), D(2027, 12, 27), D(2027, 12, 28), D(2028, 1, 3)} <= _dates("GB")
    assert {D(2026, 7, 3), D(2027, 6, 18), D(2027, 12, 24), D(2027, 12, 31)} <= _dates("US")
    assert D(2028, 11, 10) in _dates("US")  # Veterans Day 2028 is a Saturday


@pytest.mark.django_db
def test_the_seed_gives_every_demo_plan_a_policy_per_severity_and_runs_once():
    _catalog_load()

    first = sla_seed()
    again = sla_seed()

    plans = Plan.objects.count()
    assert plans == 3
    assert first.policies_created == SlaPolicy.objects.count() == plans * len(Severity)
    assert (
        first.holidays_created
        == PublicHoliday.objects.count()
        == sum(len(rows) for rows in PUBLIC_HOLIDAYS.values())
    )
    assert (again.policies_created, again.holidays_created) == (0, 0)
    assert AuditEntry.objects.filter(action="sla.seeded").count() == 1


@pytest.mark.django_db
def test_essential_counts_berlin_business_hours_and_enterprise_round_the_clock():
    _catalog_load()
    out = io.StringIO()
    call_command("sla_seed", stdout=out)
    essential = Plan.objects.get(slug="helpdesk-essential")
    enterprise = Plan.objects.get(slug="gateway-enterprise")

    business = sla_terms_for(plan=essential, severity=Severity.CRITICAL)
    always = sla_terms_for(plan=enterprise, severity=Severity.HIGH)

    # 4 business hours from Thursday 2 April 2026 17:00 run past Good Friday and Easter Monday.
    assert business.first_response == 4 * H
    assert deadline_after(
        berlin(2026, 4, 2, 17), business.first_response, business.calendar, business.holidays
    ) == berlin(2026, 4, 7, 11)
    assert deadline_after(
        berlin(2026, 4, 2, 17), always.first_response, always.calendar, always.holidays
    ) == berlin(2026, 4, 2, 18)
    assert ServiceHours.objects.get(always_open=True).holiday_country == ""
    assert "12 policies and 117 public holidays added" in out.getvalue()


@pytest.mark.django_db
def test_an_admins_edit_of_a_policy_is_kept_by_the_seed_and_audited(admin_client_2fa):
    _catalog_load()
    sla_seed()
    policy = SlaPolicy.objects.get(plan__slug="helpdesk-essential", severity=Severity.LOW)

    answer = admin_client_2fa.post(
        f"/admin/sla/slapolicy/{policy.pk}/change/",
        {
            "plan": policy.plan_id,
            "severity": "low",
            "first_response": "2 00:00:00",
            "resolution": "5 00:00:00",
            "service_hours": policy.service_hours_id,
        },
    )
    sla_seed()

    assert answer.status_code == 302
    policy.refresh_from_db()
    assert policy.first_response == dt.timedelta(days=2)
    entry = AuditEntry.objects.get(action="sla.slapolicy_updated")
    assert entry.changes["first_response"]


@pytest.mark.django_db
def test_the_seed_gives_each_tier_its_credit_terms_and_fills_only_what_is_missing():
    _catalog_load()
    sla_seed()
    essential = Plan.objects.get(slug="helpdesk-essential")
    enterprise = Plan.objects.get(slug="gateway-enterprise")
    assert sla_credit_terms_for(plan_id=essential.pk, severity=Severity.LOW) == CreditTerms(5, 20)
    assert sla_credit_terms_for(plan_id=enterprise.pk, severity=Severity.HIGH) == CreditTerms(
        10, 50
    )
    # An admin's 0 (no credit) and cap stay; a percent never set (a row older than sla.0004)
    # is filled in.
    SlaPolicy.objects.filter(plan=essential, severity=Severity.LOW).update(breach_credit_percent=0)
    SlaPolicy.objects.filter(plan=essential, severity=Severity.HIGH).update(
        breach_credit_percent=None
    )
    ServiceCreditCap.objects.filter(plan=enterprise).update(percent_of_invoice=40)

    again = sla_seed()

    assert again.credit_terms_added == 1
    assert sla_credit_terms_for(plan_id=essential.pk, severity=Severity.LOW) is None
    assert sla_credit_terms_for(plan_id=essential.pk, severity=Severity.HIGH) == CreditTerms(5, 20)
    assert ServiceCreditCap.objects.get(plan=enterprise).percent_of_invoice == 40
    entry = AuditEntry.objects.filter(action="sla.seeded").latest("pk")
    assert entry.changes["credit_terms_added"] == 1


@pytest.mark.django_db
def test_an_admin_sets_a_plans_credit_cap_audited_and_a_cap_above_100_is_a_field_error(
    admin_client_2fa,
):
    _catalog_load()
    plan = Plan.objects.get(slug="helpdesk-essential")
    url = "/admin/sla/servicecreditcap/add/"

    refused = admin_client_2fa.post(url, {"plan": plan.pk, "percent_of_invoice": "150"})
    saved = admin_client_2fa.post(url, {"plan": plan.pk, "percent_of_invoice": "25"})

    assert refused.status_code == 200
    assert "less than or equal to 100" in refused.content.decode()
    assert saved.status_code == 302
    assert ServiceCreditCap.objects.get(plan=plan).percent_of_invoice == 25
    entry = AuditEntry.objects.get(action="sla.servicecreditcap_created")
    assert entry.changes["percent_of_invoice"]


@pytest.mark.django_db
def test_the_admin_shows_overlapping_windows_and_bad_zones_as_field_errors(admin_client_2fa):
    answer = admin_client_2fa.post(
        "/admin/sla/servicehours/add/",
        {
            "name": "Night shift",
            "time_zone": "Europe/Narnia",
            "holiday_country": "",
            "windows-TOTAL_FORMS": "2",
            "windows-INITIAL_FORMS": "0",
            "windows-0-weekday": "0",
            "windows-0-opens": "08:00",
            "windows-0-closes": "12:00",
            "windows-1-weekday": "0",
            "windows-1-opens": "11:00",
            "windows-1-closes": "00:00",
        },
    )

    page = answer.content.decode()
    assert answer.status_code == 200
    assert "not an IANA time zone" in page
    assert "overlaps another one on the same day" in page
    assert not ServiceHours.objects.exists()


@pytest.mark.django_db
def test_the_demo_data_carries_the_sla_seed():
    demo_data_load()

    assert SlaPolicy.objects.filter(plan__slug="helpdesk-essential").count() == len(Severity)
    assert PublicHoliday.objects.filter(country="DE", date=D(2026, 4, 6)).exists()
