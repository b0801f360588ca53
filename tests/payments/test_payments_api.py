import pytest

from onboarding.core.money import Money
from onboarding.payments.charges import payment_collect
from onboarding.payments.sandbox_faults import sandbox_fault_arm
from tests.payments.helpers import GOOD_CARD, card_on_file

pytestmark = pytest.mark.django_db
URL = "/api/v1/me/payments"


def pay(customer, key: str) -> None:
    payment_collect(
        customer=customer,
        amount=Money(9900, "EUR"),
        idempotency_key=key,
        description="Invoice INV-2026-000011",
        reference="INV-2026-000011",
    )


def test_a_customer_lists_their_payments_newest_first(customer_client, customer):
    card_on_file(customer.customer)
    pay(customer.customer, "a")
    sandbox_fault_arm(operation="charge", kind="card_declined")
    pay(customer.customer, "b")
    body = customer_client.get(URL).json()
    assert [p["status"] for p in body] == ["declined", "succeeded"]
    assert body[1]["amount"] == "99.00 EUR" and body[1]["card"] == "Visa •••• 4242"
    assert body[0]["message"] == "Your card was declined."
    assert body[1]["amount_money"] == {
        "amount_minor": 9900,
        "currency": "EUR",
        "display": "99.00 EUR",
    }
    assert body[1]["refunded"] == {"amount_minor": 0, "currency": "EUR", "display": "0.00 EUR"}


def test_the_list_carries_no_token_key_or_card_number(customer_client, customer):
    method = card_on_file(customer.customer)
    pay(customer.customer, "secret-key-1")
    text = customer_client.get(URL).content.decode()
    assert method.token not in text
    assert "secret-key-1" not in text
    assert GOOD_CARD not in text


def test_a_customer_never_sees_another_customers_payments(
    customer_client, other_customer, customer
):
    card_on_file(other_customer.customer)
    pay(other_customer.customer, "theirs")
    assert customer_client.get(URL).json() == []


def test_staff_get_a_404_from_the_customer_list(sysops_client):
    assert sysops_client.get(URL).status_code == 404


def test_a_decline_is_worded_in_the_callers_language(customer_client, customer):
    card_on_file(customer.customer)
    sandbox_fault_arm(operation="charge", kind="card_declined")
    pay(customer.customer, "a")
    german = customer_client.get(URL, headers={"accept-language": "de"}).json()
    assert german[0]["status"] == "declined"
    assert german[0]["message"] == "Ihre Karte wurde abgelehnt."
    # The attempt keeps the gateway's English for staff and the logs.
    assert customer_client.get(URL).json()[0]["message"] == "Your card was declined."
