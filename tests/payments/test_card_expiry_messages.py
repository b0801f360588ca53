"""A card past its expiry date is called expired, with the month it expired in; a year that
cannot be a card's is asked for again."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from onboarding.payments.cards import expiry_errors
from onboarding.payments.models import PaymentMethod

pytestmark = pytest.mark.django_db


def _card(exp_month: str, exp_year: str) -> dict:
    return {"number": "4242424242424242", "exp_month": exp_month, "exp_year": exp_year, "cvc": "1"}


def test_a_card_that_expired_years_ago_says_so_on_the_year(customer_client, customer):
    response = customer_client.post(reverse("payments:card"), {**_card("1", "2020"), "cvc": "123"})
    page = response.content.decode()
    assert "This card expired in January 2020." in page
    assert "four-digit expiry year" not in page
    assert not PaymentMethod.objects.filter(customer=customer.customer).exists()


def test_a_card_that_expired_earlier_this_year_names_the_month():
    today = timezone.now().date()
    if today.month == 1:
        pytest.skip("no earlier month this year")
    last_month = dt.date(today.year, today.month - 1, 1)
    errors = expiry_errors(last_month.month, last_month.year)
    assert errors == {
        "exp_month": f"This card expired in {last_month:%B %Y}. Use a card that is still valid."
    }


@pytest.mark.parametrize("year", [1949, timezone.now().year + 26])
def test_a_year_no_card_carries_asks_for_the_year_again(year):
    assert expiry_errors(5, year) == {
        "exp_year": "Enter the four-digit expiry year shown on the card."
    }


def test_a_card_valid_until_the_end_of_this_month_is_accepted():
    today = timezone.now().date()
    assert expiry_errors(today.month, today.year) == {}
