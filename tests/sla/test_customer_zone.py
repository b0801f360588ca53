"""Service hours that follow the customer (docs/sla.md, *Whose time zone*): the seed's business
hours count in the customer's zone, on their country's public holidays, fixed on the clock at
its start and at a re-term."""

import datetime as dt
from importlib import import_module

import pytest
from django.apps import apps

from onboarding.accounts.models import Customer
from onboarding.catalog.models import Tier
from onboarding.core.time_zones import main_time_zone
from onboarding.sla.models import ClockKind, ServiceHours, Severity, SlaClock
from onboarding.sla.seed import BUSINESS_HOURS, EXTENDED_HOURS, ROUND_THE_CLOCK, sla_seed
from onboarding.sla.selectors import sla_clocks_of
from onboarding.sla.services import sla_clocks_reterm, sla_clocks_start
from tests.factories import UserFactory, complete_profile, plan_with_prices
from tests.sla.calendars import berlin, new_york

pytestmark = pytest.mark.django_db

# Thu 2 Jul 2026 16:00 EDT (22:00 CEST, 20:00 UTC); Friday 3 July is Independence Day observed.
OPENED = new_york(2026, 7, 2, 16)


def plan_of(slug: str, tier: str):
    plan = plan_with_prices(slug)
    plan.tier = tier
    plan.save(update_fields=["tier"])
    sla_seed()
    return plan


@pytest.fixture
def essential():
    return plan_of("essential-care", Tier.ESSENTIAL)


def customer_in(country: str = "", **profile) -> Customer:
    customer = UserFactory().customer
    if country:
        complete_profile(customer, country=country, **profile)
    elif profile:
        Customer.objects.filter(pk=customer.pk).update(**profile)
        customer.refresh_from_db()
    return customer


def start(customer, plan, severity=Severity.CRITICAL, at=OPENED) -> dict[str, SlaClock]:
    # The customer record stands in for a request: the clocks name any subject by label and id.
    clocks = sla_clocks_start(
        subject=customer, customer=customer, plan=plan, severity=severity, at=at
    )
    return {c.kind: c for c in clocks}


def test_the_seed_makes_office_hours_follow_the_customer_and_24_7_stay_fixed(essential):
    plan_of("business-care", Tier.BUSINESS)
    plan_of("enterprise-care", Tier.ENTERPRISE)
    follows = dict(ServiceHours.objects.values_list("name", "follows_customer"))
    assert follows == {BUSINESS_HOURS: True, EXTENDED_HOURS: True, ROUND_THE_CLOCK: False}


def test_the_seed_leaves_an_admins_choice_on_an_existing_calendar(essential):
    ServiceHours.objects.filter(name=BUSINESS_HOURS).update(follows_customer=False)
    sla_seed()
    assert not ServiceHours.objects.get(name=BUSINESS_HOURS).follows_customer


def test_a_country_main_zone_is_where_most_live():
    assert main_time_zone("US") == "America/New_York"
    assert main_time_zone("DE") == "Europe/Berlin"
    assert main_time_zone("GB") == "Europe/London"
    assert main_time_zone("") is None


def test_a_new_york_customer_counts_in_new_york_on_us_holidays(essential):
    customer = customer_in("US", city="New York")
    assert customer.effective_time_zone == "America/New_York"
    clocks = start(customer, essential)
    first = clocks[ClockKind.FIRST_RESPONSE]
    assert (first.time_zone, first.holiday_country) == ("America/New_York", "US")
    # Critical, 4 h / 16 h: 2 h Thursday (16:00-18:00 EDT); Friday 3 July closed (US), the
    # weekend closed; 2 h Monday. Resolution: 2 h Thu, 10 h Mon, 4 h Tue.
    assert first.due_at == new_york(2026, 7, 6, 10)
    assert clocks[ClockKind.RESOLUTION].due_at == new_york(2026, 7, 7, 12)
    view = sla_clocks_of(subject=customer, now=OPENED)[0]
    assert view.time_zone == "America/New_York"
    assert view.hours == (
        "Mon\u2013Fri 08:00\u201318:00 America/New_York, "
        "closed on public holidays in the United States"
    )


def test_a_berlin_customer_counts_as_before(essential):
    customer = customer_in("DE", city="Berlin")
    first = start(customer, essential)[ClockKind.FIRST_RESPONSE]
    assert (first.time_zone, first.holiday_country) == ("Europe/Berlin", "DE")
    # 22:00 CEST on Thursday: closed; Friday 3 July is a working day in Germany.
    assert first.due_at == berlin(2026, 7, 3, 12)


def test_a_customer_without_zone_or_country_falls_back_to_the_calendar(essential):
    customer = customer_in()
    assert customer.effective_time_zone is None
    first = start(customer, essential)[ClockKind.FIRST_RESPONSE]
    assert (first.time_zone, first.holiday_country) == ("Europe/Berlin", "DE")
    assert first.due_at == berlin(2026, 7, 3, 12)


def test_a_chosen_zone_without_a_country_keeps_the_calendars_holidays(essential):
    customer = customer_in(time_zone="America/New_York")
    first = start(customer, essential)[ClockKind.FIRST_RESPONSE]
    assert (first.time_zone, first.holiday_country) == ("America/New_York", "DE")
    # New York hours, but Friday 3 July is no holiday in Germany: 2 h Thu, 2 h Fri.
    assert first.due_at == new_york(2026, 7, 3, 10)


def test_24_7_stays_in_its_own_zone(essential):
    enterprise = plan_of("enterprise-care", Tier.ENTERPRISE)
    customer = customer_in("US", city="New York")
    first = start(customer, enterprise)[ClockKind.FIRST_RESPONSE]
    assert (first.time_zone, first.holiday_country) == ("Europe/Berlin", "")
    assert first.due_at == OPENED + dt.timedelta(minutes=30)


def test_a_zone_change_moves_no_running_clock_but_a_re_term_takes_it(essential):
    customer = customer_in("US", city="New York")
    start(customer, essential)
    Customer.objects.filter(pk=customer.pk).update(time_zone="America/Los_Angeles")
    customer.refresh_from_db()
    first = SlaClock.objects.of(customer).get(kind=ClockKind.FIRST_RESPONSE)
    assert first.time_zone == "America/New_York"
    assert first.due_at == new_york(2026, 7, 6, 10)
    assert sla_clocks_of(subject=customer, now=OPENED)[0].time_zone == "America/New_York"

    sla_clocks_reterm(subject=customer, plan=essential, severity=Severity.CRITICAL)
    first.refresh_from_db()
    assert (first.time_zone, first.holiday_country) == ("America/Los_Angeles", "US")
    # 13:00 PDT Thursday: 5 h Thursday, over 4 h already: due Thursday 17:00 PDT.
    assert first.due_at == OPENED + dt.timedelta(hours=4)


def test_the_migration_puts_existing_clocks_on_their_calendars_zone_and_country(essential):
    customer = customer_in("US", city="New York")
    start(customer, essential)
    SlaClock.objects.update(time_zone="", holiday_country="")  # as before sla.0005
    import_module("onboarding.sla.migrations.0005_clock_time_zone").clocks_on_their_calendars(
        apps, None
    )
    places = set(SlaClock.objects.values_list("time_zone", "holiday_country"))
    assert places == {("Europe/Berlin", "DE")}
