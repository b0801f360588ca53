"""The breach report counts a clock under the plan in force for it when it was judged, not the
subscription's plan today (docs/sla.md, "The breach report"): a clock keeps the plan of its
terms (`plan`, set at its start and re-term) and the plan it was breached under
(`breached_plan`, stamped with the breach). Migration sysops.0005 fills both in for older
request clocks from billing's applied plan changes; its function is called directly with the
app registry, as the migration executor would."""

import datetime as dt
from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone

from onboarding.billing.models import PlanChange, PlanChangeStatus
from onboarding.sla.models import ClockKind, SlaClock, SlaPolicy
from onboarding.sla.services import sla_clock_stop, sla_clocks_reterm
from onboarding.sla.watch import sla_clocks_check
from onboarding.sysops.sla_report import month_start, sla_breach_report
from tests.factories import plan_with_prices
from tests.sysops.conftest import open_request, subscribe
from tests.sysops.sla_terms import clock_of, plan_with_sla_terms

pytestmark = pytest.mark.django_db

FR, RES = ClockKind.FIRST_RESPONSE, ClockKind.RESOLUTION
MIGRATION = import_module("onboarding.sysops.migrations.0005_request_clock_plans")


@pytest.fixture
def plans():
    """Business Care with SLA terms, and Enterprise Care with the same terms copied."""
    business = plan_with_sla_terms()
    enterprise = plan_with_prices("enterprise-care")
    for policy in SlaPolicy.objects.filter(plan=business):
        policy.pk, policy.plan = None, enterprise
        policy.save()
    return business, enterprise


def rows(month) -> list[tuple]:
    return [
        (row.plan_id, row.kind, row.clocks, row.met, row.missed, row.breached)
        for row in sla_breach_report(month=month).rows
    ]


def breach_now(request, kind=FR) -> dt.datetime:
    moment = clock_of(request, kind).due_at + dt.timedelta(seconds=1)
    sla_clocks_check(now=moment)
    return moment


def test_a_clock_keeps_the_plan_of_its_terms_and_of_its_breach(customer, plans):
    business, _ = plans
    request = open_request(subscribe(customer, business))
    assert clock_of(request).plan == business
    breach_now(request)
    assert clock_of(request).breached_plan == business


def test_a_breach_counts_under_the_plan_it_happened_under_after_a_plan_change(customer, plans):
    business, enterprise = plans
    subscription = subscribe(customer, business)
    request = open_request(subscription)
    moment = breach_now(request)
    # The customer moves to Enterprise afterwards; then the first response is given, late.
    type(subscription).objects.filter(pk=subscription.pk).update(plan=enterprise)
    sla_clock_stop(subject=request, kind=FR, at=moment + dt.timedelta(minutes=1))
    assert rows(month_start(moment)) == [(business.pk, FR, 1, 0, 1, 1)]


def test_a_re_term_after_the_breach_leaves_the_breach_with_its_plan(customer, plans):
    business, enterprise = plans
    subscription = subscribe(customer, business)
    request = open_request(subscription)
    moment = breach_now(request)
    # A severity change after a plan change reads the new plan: the clock runs on its terms.
    type(subscription).objects.filter(pk=subscription.pk).update(plan=enterprise)
    sla_clocks_reterm(subject=request, plan=enterprise, severity="high")
    sla_clock = clock_of(request)
    assert (sla_clock.plan, sla_clock.breached_plan) == (enterprise, business)
    assert rows(month_start(moment)) == [(business.pk, FR, 1, 0, 0, 1)]


def test_a_clock_met_counts_under_the_plan_it_ran_on(customer, plans):
    business, enterprise = plans
    subscription = subscribe(customer, business)
    request = open_request(subscription)
    type(subscription).objects.filter(pk=subscription.pk).update(plan=enterprise)
    stopped = clock_of(request).started_at + dt.timedelta(seconds=1)
    sla_clock_stop(subject=request, kind=FR, at=stopped)
    assert rows(month_start(stopped)) == [(business.pk, FR, 1, 1, 0, 0)]


def test_a_clock_without_a_recorded_plan_counts_under_the_current_one(customer, plans):
    business, enterprise = plans
    subscription = subscribe(customer, business)
    request = open_request(subscription)
    moment = breach_now(request)
    SlaClock.objects.update(plan=None, breached_plan=None)  # as before sla.0006
    type(subscription).objects.filter(pk=subscription.pk).update(plan=enterprise)
    assert rows(month_start(moment)) == [(enterprise.pk, FR, 1, 0, 0, 1)]


# --- migration sysops.0005 ------------------------------------------------------------------------


def test_the_migration_reads_the_plan_in_force_from_the_applied_plan_changes(customer, plans):
    business, enterprise = plans
    subscription = subscribe(customer, business)
    before = open_request(subscription)  # opened on Business
    started = clock_of(before).started_at
    changed_at = started + dt.timedelta(hours=1)
    breached_at = started + dt.timedelta(hours=2)
    SlaClock.objects.of(before).filter(kind=FR).update(breached_at=breached_at)
    type(subscription).objects.filter(pk=subscription.pk).update(plan=enterprise)
    PlanChange.objects.create(
        subscription=subscription,
        status=PlanChangeStatus.APPLIED,
        from_plan=business,
        to_plan=enterprise,
        from_quantity=1,
        to_quantity=1,
        to_amount_minor=19900,
        effective_at=changed_at,
        decided_at=changed_at,
    )
    PlanChange.objects.create(  # declined: never in force
        subscription=subscription,
        status=PlanChangeStatus.DECLINED,
        from_plan=enterprise,
        to_plan=business,
        from_quantity=1,
        to_quantity=1,
        to_amount_minor=9900,
        effective_at=breached_at,
        decided_at=breached_at,
    )
    after = open_request(subscription)  # opened on Enterprise, after the change
    SlaClock.objects.of(after).update(started_at=changed_at + dt.timedelta(hours=1))
    SlaClock.objects.update(plan=None, breached_plan=None)  # as before sla.0006

    MIGRATION.request_clock_plans(apps, None)
    fr_before = clock_of(before)
    assert (fr_before.plan, fr_before.breached_plan) == (business, enterprise)
    assert clock_of(before, RES).plan == business
    assert (clock_of(after).plan, clock_of(after).breached_plan) == (enterprise, None)
    # A plan already recorded is left as it is.
    SlaClock.objects.of(after).filter(kind=FR).update(plan=business)
    MIGRATION.request_clock_plans(apps, None)
    assert clock_of(after).plan == business


def test_without_plan_changes_the_migration_takes_the_current_plan(customer, plans):
    business, _ = plans
    request = open_request(subscribe(customer, business))
    SlaClock.objects.update(plan=None)
    MIGRATION.request_clock_plans(apps, None)
    assert clock_of(request).plan == business
    assert clock_of(request, RES).plan == business


def test_plan_at_the_edges():
    at = timezone.now()
    changes = [(at, 1, 2), (at + dt.timedelta(days=1), 2, 3)]
    assert MIGRATION.plan_at(changes, 3, at - dt.timedelta(seconds=1)) == 1
    assert MIGRATION.plan_at(changes, 3, at) == 2
    assert MIGRATION.plan_at(changes, 3, at + dt.timedelta(days=2)) == 3
    assert MIGRATION.plan_at([], 7, at) == 7
    assert MIGRATION.plan_at(changes, 3, None) == 3
