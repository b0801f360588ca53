import pytest

from onboarding.journey.models import Step
from onboarding.journey.selectors import journey_funnel
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
