import pytest
from django.urls import reverse
from django.utils import timezone

from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.core.errors import DomainError
from onboarding.journey.models import JourneyStep, Step, StepState
from onboarding.payments.models import PaymentMethod, PaymentMethodStatus
from tests.factories import DEFAULT_PASSWORD
from tests.payments.helpers import card_on_file

pytestmark = pytest.mark.django_db
YEAR = timezone.now().year + 2


def card_form(number: str, **extra) -> dict:
    return {"number": number, "exp_month": "11", "exp_year": str(YEAR), "cvc": "123", **extra}


def test_a_good_card_is_kept_as_brand_last4_and_expiry(customer_client, customer):
    response = customer_client.post(reverse("payments:card"), card_form("4242 4242 4242 4242"))
    assert response.status_code == 302
    method = PaymentMethod.objects.get(customer=customer.customer)
    assert (method.brand, method.last4, method.exp_month, method.exp_year) == (
        "visa",
        "4242",
        11,
        YEAR,
    )
    entry = AuditEntry.objects.get(action="payment_method.added")
    assert "4242424242424242" not in str(entry.changes)


def test_a_declined_card_says_why_fails_the_step_and_alerts_an_admin(customer_client, customer):
    response = customer_client.post(reverse("payments:card"), card_form("4000000000000002"))
    assert response.status_code == 422
    assert "declined" in str(response.context["form"].errors["number"])
    assert not PaymentMethod.objects.exists()
    step = JourneyStep.objects.get(customer=customer.customer, step=Step.CARD_AND_CYCLE)
    assert step.state == StepState.FAILED
    assert AdminAlert.objects.filter(reason="card_refused").exists()
    assert AuditEntry.objects.filter(action="payment_method.add_failed", outcome="failure").exists()


def test_the_card_number_is_not_echoed_back_into_the_page(customer_client):
    response = customer_client.post(reverse("payments:card"), card_form("4000000000000002"))
    assert b"4000000000000002" not in response.content
    assert b"4000 0000 0000 0002" in response.content  # only the sandbox hint text


def test_replacing_a_card_needs_the_password(customer_client, customer):
    customer_client.post(reverse("payments:card"), card_form("4242424242424242"))
    asked = customer_client.post(reverse("payments:card"), card_form("5555555555554444"))
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    assert PaymentMethod.objects.get(status=PaymentMethodStatus.ACTIVE).last4 == "4242"
    refused = customer_client.post(asked["Location"], {"password": "wrong password!"})
    assert refused.status_code == 200
    assert "password" in refused.context["form"].errors
    customer_client.post(asked["Location"], {"password": DEFAULT_PASSWORD})
    customer_client.post(reverse("payments:card"), card_form("5555555555554444"))
    assert PaymentMethod.objects.get(status=PaymentMethodStatus.ACTIVE).last4 == "4444"
    assert PaymentMethod.objects.filter(status=PaymentMethodStatus.REPLACED).count() == 1


def test_the_service_refuses_a_replacement_without_a_confirmed_identity(customer):
    card_on_file(customer.customer)
    with pytest.raises(DomainError):
        card_on_file(customer.customer, "5555555555554444")
    assert PaymentMethod.objects.get(status=PaymentMethodStatus.ACTIVE).last4 == "4242"
    assert AuditEntry.objects.filter(action="payment_method.replace_refused").exists()


def test_the_api_takes_a_card_and_answers_without_the_number(customer_client):
    response = customer_client.post(
        "/api/v1/me/card",
        {"number": "4242424242424242", "exp_month": 1, "exp_year": YEAR, "cvc": "999"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["last4"] == "4242"
    assert "4242424242424242" not in response.content.decode()


def test_the_api_refuses_a_declined_card_with_a_field(customer_client):
    response = customer_client.post(
        "/api/v1/me/card",
        {"number": "4000000000000002", "exp_month": 1, "exp_year": YEAR, "cvc": "999"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "number"
