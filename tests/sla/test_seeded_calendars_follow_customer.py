"""Migration sla.0007: on an install seeded before sla.0005, the seeded business and extended
hours were left not following the customer until an admin ticked them; the migration ticks
them (audited), unless an admin already decided, and moves no running clock (docs/sla.md,
*Whose time zone*). The migration's function is called directly with the app registry, as the
migration executor would call it."""

from importlib import import_module

import pytest
from django.apps import apps

from onboarding.audit.models import AuditEntry
from onboarding.audit.services import audit_record
from onboarding.catalog.models import Tier
from onboarding.sla.models import ClockKind, ServiceHours, Severity
from onboarding.sla.seed import BUSINESS_HOURS, EXTENDED_HOURS, ROUND_THE_CLOCK, sla_seed
from onboarding.sla.services import sla_clocks_start
from tests.factories import UserFactory, complete_profile, plan_with_prices
from tests.sla.calendars import new_york

pytestmark = pytest.mark.django_db

MIGRATION = import_module("onboarding.sla.migrations.0007_seeded_calendars_follow_customer")
OPENED = new_york(2026, 7, 2, 16)


def migrate() -> None:
    MIGRATION.seeded_calendars_follow_customer(apps, None)


@pytest.fixture
def seeded_before_0005():
    """The seed's calendars as a database seeded before sla.0005 has them: not following."""
    for slug, tier in (("essential-care", Tier.ESSENTIAL), ("enterprise-care", Tier.ENTERPRISE)):
        plan = plan_with_prices(slug)
        plan.tier = tier
        plan.save(update_fields=["tier"])
    sla_seed()
    plan_with_prices("business-care")  # tier business: extended hours
    sla_seed()
    ServiceHours.objects.update(follows_customer=False)
    return {hours.name: hours for hours in ServiceHours.objects.all()}


def follows(name: str) -> bool:
    return ServiceHours.objects.get(name=name).follows_customer


def test_the_migration_names_the_seeds_calendars():
    assert MIGRATION.SEEDED_FOLLOWING == (BUSINESS_HOURS, EXTENDED_HOURS)


def test_the_seeded_office_hours_follow_the_customer_and_24_7_stays(seeded_before_0005):
    migrate()
    assert follows(BUSINESS_HOURS) and follows(EXTENDED_HOURS)
    assert not follows(ROUND_THE_CLOCK)
    entries = AuditEntry.objects.filter(action="sla.servicehours_updated")
    assert sorted(int(e.object_id) for e in entries) == sorted(
        seeded_before_0005[name].pk for name in (BUSINESS_HOURS, EXTENDED_HOURS)
    )
    assert all(e.changes == {"follows_customer": [False, True]} for e in entries)
    assert all(e.message.startswith("migration sla.0007") for e in entries)
    # Run again (a second database, a re-run): nothing more to do, nothing audited twice.
    migrate()
    assert entries.count() == 2


def test_an_admins_decision_stands(seeded_before_0005):
    extended = seeded_before_0005[EXTENDED_HOURS]
    audit_record(
        action="sla.servicehours_updated",
        target=extended,
        changes={"follows_customer": [True, False]},
    )
    migrate()
    assert follows(BUSINESS_HOURS)
    assert not follows(EXTENDED_HOURS)


def test_an_admin_edit_of_something_else_is_no_decision(seeded_before_0005):
    audit_record(
        action="sla.servicehours_updated",
        target=seeded_before_0005[BUSINESS_HOURS],
        changes={"holiday_country": ["DE", "AT"]},
    )
    migrate()
    assert follows(BUSINESS_HOURS)


def test_another_calendar_is_left_as_the_admins_made_it(seeded_before_0005):
    night = ServiceHours.objects.create(name="Night shift", time_zone="Europe/Berlin")
    migrate()
    night.refresh_from_db()
    assert not night.follows_customer


def test_a_running_clock_keeps_its_place_and_a_new_one_counts_in_the_customers_zone(
    seeded_before_0005,
):
    essential = seeded_before_0005[BUSINESS_HOURS].policies.first().plan
    customer = UserFactory().customer
    complete_profile(customer, country="US", city="New York")
    [running] = sla_clocks_start(
        subject=customer,
        customer=customer,
        plan=essential,
        severity=Severity.CRITICAL,
        at=OPENED,
        kinds=(ClockKind.FIRST_RESPONSE,),
    )
    assert (running.time_zone, running.holiday_country) == ("Europe/Berlin", "DE")
    before = running.due_at

    migrate()
    running.refresh_from_db()
    assert (running.time_zone, running.due_at) == ("Europe/Berlin", before)
    other = UserFactory().customer
    complete_profile(other, country="US", city="New York")
    [new] = sla_clocks_start(
        subject=other,
        customer=other,
        plan=essential,
        severity=Severity.CRITICAL,
        at=OPENED,
        kinds=(ClockKind.FIRST_RESPONSE,),
    )
    # docs/sla.md's worked example: due Mon 6 Jul 10:00 EDT (Independence Day observed).
    assert (new.time_zone, new.holiday_country) == ("America/New_York", "US")
    assert new.due_at == new_york(2026, 7, 6, 10)
