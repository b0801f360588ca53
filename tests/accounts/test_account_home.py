"""The customer's account page: titled by the company (or the person), never the email address,
and the first onboarding step not done is a button that goes where it is done."""

import re

import pytest
from django.urls import reverse

from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Invoice
from onboarding.journey.models import Step
from onboarding.journey.services import journey_step_complete
from onboarding.payments.methods import CardRefused
from tests.billing.conftest import DECLINING_CARD, buy, ready_customer, today
from tests.factories import UserFactory, complete_profile, plan_with_prices
from tests.payments.helpers import GOOD_CARD, card_on_file

pytestmark = pytest.mark.django_db

NEXT = re.compile(r'<div class="next-step" data-next-step>(.*?)</div>', re.S)


def _page(client) -> str:
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 200
    return response.content.decode()


def _next_button(html: str) -> tuple[str, str]:
    """(href, words) of the one next-step button on the page."""
    (block,) = NEXT.findall(html)
    href, words = re.search(r'<a class="button[^"]*" href="([^"]+)">([^<]+)</a>', block).groups()
    return href, words


def _title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def test_a_new_customers_first_step_is_a_button_to_complete_their_billing_details(client):
    user = UserFactory()
    client.force_login(user)
    html = _page(client)

    assert _next_button(html) == (reverse("accounts:profile"), "Complete your billing details")
    # The later steps are links where they are done, not more buttons.
    assert f'<a href="{reverse("payments:card")}">Add a card</a>' in html
    assert html.count("data-next-step") == 1


def test_the_account_page_is_titled_by_the_company_not_the_email(client):
    user = UserFactory(email="ada@example.com")
    complete_profile(user.customer, company="Analytical Engines Ltd")
    client.force_login(user)
    html = _page(client)

    assert _title(html).startswith("Analytical Engines Ltd")
    assert "<h1>Analytical Engines Ltd</h1>" in html
    assert "ada@example.com" not in _title(html)


def test_without_a_company_the_account_page_is_titled_by_the_persons_name(client):
    user = UserFactory(first_name="Grace", last_name="Hopper", email="grace@example.com")
    client.force_login(user)
    html = _page(client)

    assert _title(html).startswith("Grace Hopper")
    assert "<h1>Grace Hopper</h1>" in html


def test_without_a_company_or_a_name_the_title_is_your_account(client):
    user = UserFactory(first_name="", last_name="", email="nameless@example.com")
    client.force_login(user)
    html = _page(client)

    assert _title(html).startswith("Your account")
    assert "nameless@example.com" not in _title(html)
    assert "<h1>Your account</h1>" in html


def test_with_billing_details_and_a_card_the_next_step_is_choosing_a_plan(client):
    customer = ready_customer(card=GOOD_CARD)
    journey_step_complete(customer=customer, step=Step.ACCOUNT)
    client.force_login(customer.user)

    assert _next_button(_page(client)) == (
        reverse("catalog:pricing"),
        "Choose a plan and billing cycle",
    )


def test_with_billing_details_and_no_card_the_next_step_is_adding_one(client):
    user = UserFactory()
    complete_profile(user.customer)
    journey_step_complete(customer=user.customer, step=Step.ACCOUNT)
    client.force_login(user)

    assert _next_button(_page(client)) == (reverse("payments:card"), "Add a card")


def test_after_a_declined_first_payment_the_next_step_pays_that_invoice(client):
    customer = ready_customer(card=DECLINING_CARD)
    journey_step_complete(customer=customer, step=Step.ACCOUNT)
    buy(customer, plan_with_prices())
    bill_run_execute(run_date=today())
    invoice = Invoice.objects.get(customer=customer)
    client.force_login(customer.user)
    html = _page(client)

    href, words = _next_button(html)
    assert href == reverse("billing:invoice", args=[invoice.pk]) + "#pay"
    assert words == f"Pay invoice {invoice.number}"
    assert 'data-step="first_payment"' in html and "journey-step failed next" in html


def test_after_a_refused_card_the_next_step_is_adding_another_card(client):
    user = UserFactory()
    complete_profile(user.customer)
    journey_step_complete(customer=user.customer, step=Step.ACCOUNT)
    with pytest.raises(CardRefused):
        card_on_file(user.customer, "4000000000000002")  # the sandbox refuses it when stored
    client.force_login(user)
    html = _page(client)

    assert _next_button(html) == (reverse("payments:card"), "Add another card")
    assert "Your card was declined. Try another card." in html
