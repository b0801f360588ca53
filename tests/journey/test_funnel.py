from decimal import Decimal

import pytest

from onboarding.journey.models import Step
from onboarding.journey.selectors import journey_funnel, percent
from onboarding.journey.services import journey_step_complete, journey_step_fail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_each_customer_stands_at_their_first_unfinished_step():
    fresh = UserFactory().customer
    profiled = UserFactory().customer
    failing = UserFactory().customer
    journey_step_complete(customer=profiled, step=Step.ACCOUNT)
    journey_step_complete(customer=failing, step=Step.ACCOUNT)
    journey_step_fail(customer=failing, step=Step.CARD_AND_CYCLE, reason="declined")
    rows = {row.step: row for row in journey_funnel()}
    assert rows[Step.ACCOUNT].standing == 1
    assert rows[Step.CARD_AND_CYCLE].standing == 2
    assert rows[Step.CARD_AND_CYCLE].failed == 1
    assert rows[Step.ACCOUNT].done == 2
    del fresh


def test_a_done_step_stays_done_after_a_later_failure():
    customer = UserFactory().customer
    journey_step_complete(customer=customer, step=Step.ACCOUNT)
    row = journey_step_fail(customer=customer, step=Step.ACCOUNT, reason="late problem")
    assert row.state == "done"


def test_staff_see_the_funnel_page_and_api(sysops_client):
    UserFactory()
    assert sysops_client.get("/staff/funnel/").status_code == 200
    data = sysops_client.get("/api/v1/staff/funnel").json()
    assert data[0]["step"] == "account"
    assert data[0]["standing"] == 1


def test_customers_do_not_see_the_funnel(customer_client):
    assert customer_client.get("/staff/funnel/").status_code == 404
    assert customer_client.get("/api/v1/staff/funnel").status_code in {401, 403, 404}


def test_conversion_counts_from_the_first_step_and_drop_off_from_those_who_reached_it():
    for _ in range(4):
        UserFactory()  # standing at the first step
    carded = [UserFactory().customer for _ in range(4)]
    for customer in carded:
        journey_step_complete(customer=customer, step=Step.ACCOUNT)
    journey_step_complete(customer=carded[0], step=Step.CARD_AND_CYCLE)
    rows = {row.step: row for row in journey_funnel()}
    account, card = rows[Step.ACCOUNT], rows[Step.CARD_AND_CYCLE]
    assert (account.reached, account.passed) == (8, 4)
    assert account.conversion_pct == Decimal("50.0")
    assert account.drop_off_pct == Decimal("50.0")
    assert (card.reached, card.passed) == (4, 1)
    assert card.conversion_pct == Decimal("12.5")
    assert card.drop_off_pct == Decimal("75.0")
    invoice = rows[Step.FIRST_INVOICE]
    assert (invoice.reached, invoice.standing, invoice.drop_off_pct) == (1, 1, Decimal("100.0"))
    assert rows[Step.CONTRACT].reached == 0
    assert rows[Step.CONTRACT].drop_off_pct is None  # nobody reached it: no division by zero


def test_a_funnel_without_customers_has_no_percentages():
    rows = journey_funnel()
    assert all(row.conversion_pct is None and row.drop_off_pct is None for row in rows)
    assert all(row.reached == 0 for row in rows)


def test_percent_rounds_half_up_to_one_place():
    assert percent(1, 3) == Decimal("33.3")
    assert percent(2, 3) == Decimal("66.7")
    assert percent(1, 8) == Decimal("12.5")
    assert percent(5, 0) is None


def test_the_funnel_page_shows_conversion_and_drop_off(sysops_client):
    UserFactory()
    finished = UserFactory().customer
    journey_step_complete(customer=finished, step=Step.ACCOUNT)
    html = sysops_client.get("/staff/funnel/").content.decode()
    assert 'data-conversion="50.0">50.0%<' in html
    assert 'data-drop-off="50.0">50.0%<' in html
    assert "2 customers started" in html
    data = sysops_client.get("/staff/funnel/data/").json()
    assert data["conversion_pct"][0] == "50.0"
    assert data["drop_off_pct"][-1] is None
