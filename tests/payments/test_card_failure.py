"""A failure of ours while a card goes on file: the card page and the API say it in the one
message defined beside the service, an admin is alerted once per occurrence, and it is audited."""

import pytest
from django.urls import reverse
from django.utils import timezone

from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.payments import methods, views
from onboarding.payments.gateways.base import GatewayTimeout
from onboarding.payments.gateways.sandbox import SandboxGateway
from onboarding.payments.gateways.stripe import SetupStart
from onboarding.payments.methods import CARD_FAILED, CARD_FORM_UNAVAILABLE
from onboarding.payments.models import PaymentMethod

pytestmark = pytest.mark.django_db

CARD = {"number": "4242 4242 4242 4242", "exp_month": 11, "cvc": "123"}


@pytest.fixture
def storing_breaks(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(methods, "_payment_method_store", broken)


def test_the_card_page_and_the_api_tell_the_same_message(customer_client, customer, storing_breaks):
    card = {**CARD, "exp_year": timezone.now().year + 2}

    page = customer_client.post(reverse("payments:card"), card)
    api = customer_client.post("/api/v1/me/card", card, content_type="application/json")

    assert page.status_code == 422
    assert page.context["form"].non_field_errors() == [CARD_FAILED.message]
    assert api.status_code == 503
    assert api.json() == {"detail": CARD_FAILED.message, "code": "unavailable"}
    alert = AdminAlert.objects.get(reason="card_update_failed")
    assert (alert.count, alert.customer_id) == (2, customer.customer.pk)
    failures = AuditEntry.objects.filter(action="failure.card_update_failed", actor=customer)
    assert failures.count() == 2
    assert not PaymentMethod.objects.exists()


class ClientSideFields(SandboxGateway):
    """The sandbox, shown as Stripe is: its own fields, a setup started before the page."""

    client_side_fields = True
    fails_to_start = False

    def setup_start(self, *, customer_reference, email, gateway_customer_id):
        if self.fails_to_start:
            raise GatewayTimeout("timeout", "no answer")
        return SetupStart(client_secret="seti_secret", gateway_customer_id="cus_1")


@pytest.fixture
def client_side_fields(monkeypatch):
    monkeypatch.setattr(views, "get_gateway", ClientSideFields)
    return ClientSideFields


def test_with_client_side_fields_a_refusal_shows_on_the_card_page(
    customer_client, client_side_fields
):
    page = customer_client.post(reverse("payments:card"), {"setup_intent": "seti_unknown"})

    assert page.status_code == 422
    assert "That card could not be found" in page.content.decode()
    assert AdminAlert.objects.filter(reason="card_refused").exists()


def test_a_card_form_the_gateway_cannot_start_sends_the_person_home_with_the_notice(
    customer_client, customer, client_side_fields, monkeypatch
):
    monkeypatch.setattr(client_side_fields, "fails_to_start", True)

    page = customer_client.get(reverse("payments:card"), follow=True)

    assert str(CARD_FORM_UNAVAILABLE.message) in page.content.decode()
    alert = AdminAlert.objects.get(reason="card_form_unavailable")
    assert alert.customer_id == customer.customer.pk
    assert AuditEntry.objects.filter(action="failure.card_form_unavailable").count() == 1
