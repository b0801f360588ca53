"""Pay now on an invoice whose card was hard-declined never charges that card again: it asks for
a new card first, with the way to the card page; once another card is on file, Pay now pays."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Invoice, InvoiceStatus, RetryStop
from onboarding.payments.models import PaymentAttempt
from tests.billing.conftest import buy, ready_customer, today
from tests.factories import DEFAULT_PASSWORD
from tests.payments.helpers import GOOD_CARD, card_on_file

pytestmark = pytest.mark.django_db

LOST_CARD = "4000000000009987"


@pytest.fixture
def hard_declined(plan, customer) -> Invoice:
    """A first invoice declined because the card on file was reported lost."""
    buy(ready_customer(customer, card=LOST_CARD), plan)
    bill_run_execute(run_date=today())
    invoice = Invoice.objects.select_related("customer__user").get()
    assert invoice.retry_stopped == RetryStop.HARD_DECLINE
    return invoice


def test_pay_now_on_the_dead_card_sends_nothing_and_asks_for_a_new_card(client, hard_declined):
    client.force_login(hard_declined.customer.user)
    response = client.post(reverse("billing:invoice_pay", args=[hard_declined.pk]))
    assert response.status_code == 302
    assert PaymentAttempt.objects.count() == 1  # only the declined first attempt
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert "cannot be used again" in message and "add a new card first" in message
    card_link = f'href="{reverse("payments:card")}?next=/account/invoices/{hard_declined.pk}/"'
    assert card_link in message
    hard_declined.refresh_from_db()
    assert (hard_declined.status, hard_declined.attempt_count) == (InvoiceStatus.OPEN, 1)


def test_the_invoice_page_offers_a_new_card_instead_of_pay_now(client, hard_declined):
    client.force_login(hard_declined.customer.user)
    page = client.get(reverse("billing:invoice", args=[hard_declined.pk])).content.decode()
    assert "data-hard-decline" in page
    assert ">Add a new card</a>" in page
    assert reverse("billing:invoice_pay", args=[hard_declined.pk]) not in page


def test_the_api_refuses_pay_now_on_the_dead_card_with_a_clear_reason(client, hard_declined):
    client.force_login(hard_declined.customer.user)
    response = client.post(f"/api/v1/me/invoices/{hard_declined.pk}/pay")
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["field"]) == ("new_card_needed", "payment_method")
    assert "add a new card first" in body["detail"]
    assert PaymentAttempt.objects.count() == 1


def test_once_a_new_card_is_on_file_pay_now_pays_with_it(client, hard_declined):
    # The new card is saved; its automatic charge has not run yet (its event is not delivered).
    card_on_file(hard_declined.customer, GOOD_CARD, password=DEFAULT_PASSWORD)
    client.force_login(hard_declined.customer.user)
    page = client.get(reverse("billing:invoice", args=[hard_declined.pk])).content.decode()
    assert reverse("billing:invoice_pay", args=[hard_declined.pk]) in page

    client.post(reverse("billing:invoice_pay", args=[hard_declined.pk]))

    hard_declined.refresh_from_db()
    assert hard_declined.status == InvoiceStatus.PAID
    paid_with = PaymentAttempt.objects.get(pk=hard_declined.paid_attempt_id)
    assert paid_with.payment_method.last4 == "4242"
