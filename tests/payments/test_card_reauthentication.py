"""Replacing the card on file asks for the password again: on the page through allauth's
reauthentication, on the API with the password in the request; both are throttled (10 a minute
per user) and every wrong password is audited."""

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from onboarding.audit.models import AuditEntry
from onboarding.payments.models import PaymentMethod, PaymentMethodStatus
from tests.factories import DEFAULT_PASSWORD
from tests.payments.helpers import card_on_file

pytestmark = pytest.mark.django_db
YEAR = timezone.now().year + 2
WRONG = "not-the-password-42"
REAUTHENTICATE = reverse("account_reauthenticate")
NEW_CARD = "5555555555554444"


def card_form(number: str = NEW_CARD) -> dict:
    return {"number": number, "exp_month": "11", "exp_year": str(YEAR), "cvc": "123"}


def api_card(password: str = "") -> dict:
    return {
        "number": NEW_CARD,
        "exp_month": 11,
        "exp_year": YEAR,
        "cvc": "123",
        "password": password,
    }


def active_last4() -> str:
    return PaymentMethod.objects.get(status=PaymentMethodStatus.ACTIVE).last4


@pytest.fixture
def card_held(customer):
    return card_on_file(customer.customer)


def test_the_first_card_needs_no_password(customer_client, customer):
    added = customer_client.post(reverse("payments:card"), card_form("4242424242424242"))
    assert added.status_code == 302 and not added["Location"].startswith(REAUTHENTICATE)
    assert active_last4() == "4242"


def test_the_replace_page_asks_for_the_password_first(customer_client, card_held):
    page = customer_client.get(f"{reverse('payments:card')}?next=/buy/x/")
    assert page.status_code == 302
    assert page["Location"].startswith(REAUTHENTICATE)
    assert "next=" in page["Location"]


def test_a_replacement_posted_without_the_password_changes_nothing_and_keeps_no_number(
    customer_client, card_held
):
    response = customer_client.post(reverse("payments:card"), card_form())
    assert response.status_code == 302
    assert response["Location"].startswith(REAUTHENTICATE)
    assert active_last4() == "4242"
    # allauth would replay a suspended POST from the session; a card number must not wait there.
    assert not any(NEW_CARD in str(s.get_decoded()) for s in Session.objects.all())


def test_after_the_password_the_card_is_replaced(customer_client, card_held):
    asked = customer_client.get(reverse("payments:card"))
    back = customer_client.post(asked["Location"], {"password": DEFAULT_PASSWORD})
    assert back.status_code == 302 and back["Location"].startswith(reverse("payments:card"))
    page = customer_client.get(reverse("payments:card"))
    assert page.status_code == 200
    assert b'name="password"' not in page.content  # confirmed already: no second password field
    replaced = customer_client.post(reverse("payments:card"), card_form())
    assert replaced.status_code == 302
    assert active_last4() == "4444"
    assert PaymentMethod.objects.filter(status=PaymentMethodStatus.REPLACED).count() == 1


def test_the_api_replaces_a_card_with_the_right_password(customer_client, card_held):
    response = customer_client.post(
        "/api/v1/me/card", api_card(DEFAULT_PASSWORD), "application/json"
    )
    assert response.status_code == 201
    assert active_last4() == "4444"


def test_the_api_refuses_a_wrong_password_and_audits_it(customer_client, customer, card_held):
    response = customer_client.post("/api/v1/me/card", api_card(WRONG), "application/json")
    assert response.status_code == 400
    assert response.json()["field"] == "password"
    assert active_last4() == "4242"
    assert AuditEntry.objects.filter(
        action="auth.password_confirmation_failed", outcome="failure", actor=customer
    ).exists()


def test_eleven_wrong_api_passwords_are_throttled_then_even_the_right_one_waits(
    customer_client, customer, card_held
):
    answers = [
        customer_client.post("/api/v1/me/card", api_card(WRONG), "application/json").status_code
        for _ in range(11)
    ]
    assert 429 in answers
    assert answers[-1] == 429
    right = customer_client.post("/api/v1/me/card", api_card(DEFAULT_PASSWORD), "application/json")
    assert right.status_code == 429
    assert "Too many" in right.json()["detail"]
    assert active_last4() == "4242"
    assert (
        AuditEntry.objects.filter(
            action="auth.password_confirmation_failed", outcome="failure", actor=customer
        ).count()
        >= 5
    )
    assert AuditEntry.objects.filter(
        action="auth.password_confirmation_throttled", outcome="refused", actor=customer
    ).exists()
