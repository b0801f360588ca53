"""A GET at a billing form's action URL is sent to the page the form is on, changing nothing."""

import pytest
from django.urls import reverse

from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Invoice
from onboarding.payments.models import PaymentAttempt
from tests.billing.conftest import buy, ready_customer, today
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _invoice_of(user, plan) -> Invoice:
    buy(ready_customer(user), plan)
    bill_run_execute(run_date=today())
    return Invoice.objects.get(customer=user.customer)


def test_a_get_at_pay_now_is_sent_to_the_invoice_and_charges_nothing(client, plan):
    user = UserFactory()
    invoice = _invoice_of(user, plan)
    attempts = PaymentAttempt.objects.count()
    client.force_login(user)
    response = client.get(reverse("billing:invoice_pay", args=[invoice.pk]))
    assert response.status_code == 303
    assert response["Location"] == reverse("billing:invoice", args=[invoice.pk])
    assert PaymentAttempt.objects.count() == attempts


def test_a_get_at_change_cycle_is_sent_to_the_account_page(client, plan):
    user = UserFactory()
    subscription = buy(ready_customer(user), plan, "annual")
    client.force_login(user)
    response = client.get(reverse("billing:change_cycle", args=[subscription.pk]))
    assert response.status_code == 303
    assert response["Location"] == reverse("accounts:home")
    subscription.refresh_from_db()
    assert subscription.pending_cycle == ""
