"""The card form helps a phone fill it in (autocomplete hints), guesses no expiry year, and
after a refusal says why the number is empty, without ever sending the number back."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db
YEAR = str(timezone.now().year + 2)
AGAIN = "For your security, enter the card number and security code again."


def input_of(html: str, name: str) -> str:
    return re.search(rf'<input [^>]*name="{name}"[^>]*>', html).group(0)


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("holder_name", "cc-name"),
        ("number", "cc-number"),
        ("exp_month", "cc-exp-month"),
        ("exp_year", "cc-exp-year"),
        ("cvc", "cc-csc"),
    ],
)
def test_each_field_names_what_autofill_puts_in_it(customer_client, name, hint):
    html = customer_client.get(reverse("payments:card")).content.decode()
    assert f'autocomplete="{hint}"' in input_of(html, name)


def test_no_expiry_is_filled_in_for_the_customer(customer_client):
    html = customer_client.get(reverse("payments:card")).content.decode()
    assert "value=" not in input_of(html, "exp_year")
    assert "value=" not in input_of(html, "exp_month")
    assert AGAIN not in html
    assert re.search(r'<form method="post"[^>]*data-submit-once', html)


def test_after_an_error_elsewhere_the_empty_number_is_explained_and_not_echoed(customer_client):
    typed = "4242 4242 4242 4242"
    response = customer_client.post(
        reverse("payments:card"),
        {"number": typed, "exp_month": "13", "exp_year": YEAR, "cvc": "123"},
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_number_helptext">' + AGAIN in html
    assert "id_number_helptext" in input_of(html, "number")  # read with the field
    assert "value=" not in input_of(html, "number") and "value=" not in input_of(html, "cvc")
    # The sandbox's own hint names the test card once; the typed number is nowhere else.
    assert html.count(typed) == 1 and f"{typed} (accepted)" in html


def test_after_a_declined_card_the_number_is_explained_too(customer_client):
    response = customer_client.post(
        reverse("payments:card"),
        {"number": "4000000000000002", "exp_month": "5", "exp_year": YEAR, "cvc": "123"},
    )
    html = response.content.decode()
    assert "declined" in html and AGAIN in html
    assert "value=" not in input_of(html, "number")
