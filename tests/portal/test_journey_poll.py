"""The account page asks again by itself while the next journey step waits on us (the first
invoice, its charge, the contract), a bounded number of times, then says it stopped; a step the
customer must take, or a failed one, stops the asking."""

import pytest
from django.urls import reverse

from onboarding.billing.billrun import bill_run_execute
from onboarding.journey.models import Step
from onboarding.journey.services import journey_step_complete
from onboarding.portal import views
from tests.billing.conftest import DECLINING_CARD, buy, ready_customer, today
from tests.factories import plan_with_prices

pytestmark = pytest.mark.django_db
HOME = reverse("accounts:home")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def plan():
    return plan_with_prices()


@pytest.fixture
def waiting(customer):
    """Bought a plan: the first invoice is ours to prepare."""
    for step in (Step.ACCOUNT, Step.CARD_AND_CYCLE):
        journey_step_complete(customer=customer.customer, step=step)
    return customer


def test_the_page_asks_again_while_the_next_step_waits_on_us(customer_client, waiting):
    page = customer_client.get(HOME).content.decode()
    assert f'hx-get="{HOME}?poll=1"' in page
    assert "updates by itself" in page


def test_each_answer_asks_once_more_until_the_limit_then_says_it_stopped(
    customer_client, waiting, monkeypatch
):
    monkeypatch.setattr(views, "POLL_LIMIT", 2)
    first = customer_client.get(f"{HOME}?poll=1", **HTMX).content.decode()
    assert first.startswith('<div id="journey"') and '?poll=2"' in first
    last = customer_client.get(f"{HOME}?poll=2", **HTMX).content.decode()
    assert "hx-get" not in last
    assert "stopped updating by itself" in last and f'href="{HOME}"' in last


def test_a_declined_first_charge_shows_in_the_next_answer_and_stops_the_asking(
    customer_client, customer, plan
):
    buy(ready_customer(customer, card=DECLINING_CARD), plan)
    journey_step_complete(customer=customer.customer, step=Step.ACCOUNT)  # the profile page's
    waiting = customer_client.get(HOME).content.decode()
    assert "hx-get" in waiting  # the first invoice is being prepared
    bill_run_execute(run_date=today())  # issued and charged: declined
    answer = customer_client.get(f"{HOME}?poll=4", **HTMX).content.decode()
    assert "insufficient funds" in answer
    assert "Pay invoice" in answer
    assert "hx-get" not in answer and "stopped" not in answer


def test_a_step_the_customer_takes_is_not_asked_about(customer_client, customer):
    page = customer_client.get(HOME).content.decode()  # the first step: their billing details
    assert "hx-get" not in page


def test_the_poll_takes_no_flash_message(customer_client, waiting):
    contact = {"name": "Bo", "role": "Billing", "email": "bo@example.com", "phone": ""}
    customer_client.post(reverse("accounts:contacts"), contact)  # "Contact added." waits
    customer_client.get(f"{HOME}?poll=1", **HTMX)
    assert "Contact added." in customer_client.get(reverse("accounts:contacts")).content.decode()
