"""Each factor read from real rows (selectors.health_reading) moves the score the documented
way, in a fixed number of queries, and review_at names the next change by time alone."""

import datetime as dt

import pytest
from django.utils import timezone

from onboarding.health.models import Factor
from onboarding.health.scoring import health_score
from onboarding.health.selectors import health_inputs, health_reading, health_settings
from onboarding.sla.models import SlaClock
from tests.health.conftest import (
    card_on_file,
    open_request,
    overdue_invoice,
    red_review,
)

pytestmark = pytest.mark.django_db


def costs(contract, now=None) -> dict[str, int]:
    inputs = health_inputs(customer_id=contract.customer_id, now=now or timezone.now())
    return {f.factor: f.cost for f in health_score(inputs, health_settings()).factors}


def test_a_new_customer_with_a_contract_in_force_scores_100(contract):
    result = health_score(
        health_inputs(customer_id=contract.customer_id, now=timezone.now()), health_settings()
    )
    assert (result.score, result.band) == (100, "green")


def test_an_overdue_failed_invoice_costs_payment_points_and_the_missing_card_too(contract):
    overdue_invoice(contract, days_late=34)
    inputs = health_inputs(customer_id=contract.customer_id, now=timezone.now())
    assert inputs.payment.overdue_count == 1
    assert inputs.payment.oldest_overdue_days == 34
    assert inputs.payment.failed_count == 1
    # Over 30 days late (80) and failed (30): the whole weight; no card with one to pay: all 10.
    assert costs(contract)[Factor.PAYMENT] == 30
    assert costs(contract)[Factor.CARD] == 10


def test_a_card_expiring_within_30_days_costs_and_an_expired_one_costs_all(contract):
    card_on_file(contract.customer, exp_month=12, exp_year=timezone.now().year + 2)
    year = timezone.now().year + 2
    twelve_days_before = dt.datetime(year, 12, 19, 12, tzinfo=dt.UTC)
    after = dt.datetime(year + 1, 1, 3, 12, tzinfo=dt.UTC)
    assert costs(contract, twelve_days_before)[Factor.CARD] == 6
    assert costs(contract, after)[Factor.CARD] == 10
    assert costs(contract)[Factor.CARD] == 0


def test_open_requests_by_severity_and_breaches_cost_service_points(contract):
    open_request(contract.subscription, severity="critical")
    assert costs(contract)[Factor.SERVICE] == 8
    second = open_request(contract.subscription, severity="normal")
    assert costs(contract)[Factor.SERVICE] == 10
    SlaClock.objects.filter(subject_id=second.pk, kind="first_response").update(
        breached_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert costs(contract)[Factor.SERVICE] == 13
    # A breach drops out after 90 days.
    later = timezone.now() + dt.timedelta(days=91)
    inputs = health_inputs(customer_id=contract.customer_id, now=later)
    assert inputs.service.breaches_90_days == 0


def test_an_unacknowledged_red_acceptance_costs_more_each_week(contract):
    red_review(contract, days_waiting=2)
    assert costs(contract)[Factor.ACCEPTANCE] == 14
    assert costs(contract, timezone.now() + dt.timedelta(days=14))[Factor.ACCEPTANCE] == 18


def test_cancel_at_period_end_and_a_near_end_cost_contract_points(contract):
    subscription = contract.subscription
    subscription.cancel_at_period_end = True
    subscription.save(update_fields=["cancel_at_period_end"])
    assert costs(contract)[Factor.CONTRACT] == 9
    near_end = contract.term_end - dt.timedelta(days=10)
    assert costs(contract, near_end)[Factor.CONTRACT] == 14


def test_a_sent_contract_waiting_for_acknowledgement_costs_more_with_time(contract):
    contract.state = "sent"
    contract.sent_at = timezone.now() - dt.timedelta(days=20)
    contract.save(update_fields=["state", "sent_at"])
    inputs = health_inputs(customer_id=contract.customer_id, now=timezone.now())
    assert inputs.contract.unacknowledged_days == 20
    assert costs(contract)[Factor.CONTRACT] == 6


def test_a_customer_gone_quiet_costs_engagement_points(contract):
    user = contract.customer.user
    user.last_login = timezone.now() - dt.timedelta(days=45)
    user.save(update_fields=["last_login"])
    assert costs(contract)[Factor.ENGAGEMENT] == 2


def test_the_inputs_take_seven_queries_however_much_the_customer_has(
    contract, django_assert_num_queries
):
    card_on_file(contract.customer)
    for n in range(3):
        overdue_invoice(contract, days_late=5 + n, n=n)
        open_request(contract.subscription, severity="high")
    red_review(contract, days_waiting=3)
    with django_assert_num_queries(7):
        health_reading(customer_id=contract.customer_id, now=timezone.now())


def test_review_at_is_the_next_step_by_time_alone(contract):
    now = timezone.now()
    invoice = overdue_invoice(contract, days_late=3)
    review_at = health_reading(customer_id=contract.customer_id, now=now).review_at
    # Three days late now: the next step is at 15 days late, the start of that day.
    assert review_at == timezone.make_aware(
        dt.datetime.combine(invoice.due_date + dt.timedelta(days=15), dt.time.min)
    )
