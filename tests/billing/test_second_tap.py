"""A second tap, Back then Confirm again, Pay now twice: the customer is told where things stand
(information, not an error), the page shows the true state, and nothing is bought or charged
twice. The forms ask the browser to send them once (data-submit-once)."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from onboarding.billing import views
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Invoice, PaymentState, Subscription
from onboarding.payments.models import PaymentAttempt
from tests.billing.conftest import DECLINING_CARD, buy, ready_customer, today

pytestmark = pytest.mark.django_db


def shown(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def owner(customer, plan):
    buy(ready_customer(customer), plan)
    return customer


@pytest.fixture
def declined(plan, customer) -> Invoice:
    buy(ready_customer(customer, card=DECLINING_CARD), plan)
    bill_run_execute(run_date=today())
    return Invoice.objects.get()


# --- the buy page ---------------------------------------------------------------------------


def test_the_buy_page_of_a_plan_already_owned_says_so_and_offers_no_confirm(
    customer_client, owner, plan
):
    response = customer_client.get(reverse("billing:buy", args=[plan.slug]))
    page = response.content.decode()
    assert response.status_code == 200
    assert f"You already have {plan.name}" in page
    assert f'href="{reverse("accounts:home")}"' in page
    assert "Confirm purchase" not in page
    main = page.split('id="content"', 1)[1].split("</main>", 1)[0]  # not the footer's switcher
    assert 'method="post"' not in main


def test_the_buy_page_of_a_plan_not_owned_sends_its_form_once(customer_client, customer, plan):
    ready_customer(customer)
    page = customer_client.get(reverse("billing:buy", args=[plan.slug])).content.decode()
    assert re.search(r'<form method="post"[^>]*data-submit-once', page)
    assert "Confirm purchase" in page and "You already have" not in page


def test_a_second_post_goes_to_the_account_with_information_not_an_error(
    customer_client, owner, plan
):
    again = customer_client.post(reverse("billing:buy", args=[plan.slug]), {"cycle": "annual"})
    assert (again.status_code, again["Location"]) == (302, reverse("accounts:home"))
    assert shown(again) == [("info", f"You already have {plan.name}: it is on your account.")]
    assert Subscription.objects.count() == 1


def test_the_thank_you_does_not_claim_the_plan_before_the_first_charge(
    customer_client, customer, plan
):
    ready_customer(customer)
    bought = customer_client.post(reverse("billing:buy", args=[plan.slug]), {"cycle": "monthly"})
    [(level, text)] = shown(bought)
    assert level == "info"
    assert "is yours" not in text
    assert "We are charging your card now" in text


# --- pay now --------------------------------------------------------------------------------


def test_pay_now_while_the_first_tap_is_being_charged_is_information(customer_client, declined):
    Invoice.objects.filter(pk=declined.pk).update(payment_state=PaymentState.PROCESSING)
    response = customer_client.post(reverse("billing:invoice_pay", args=[declined.pk]))
    assert response["Location"] == reverse("billing:invoice", args=[declined.pk])
    [(level, text)] = shown(response)
    assert level == "info"
    assert text.startswith("Your payment is already being processed")
    assert PaymentAttempt.objects.count() == 1


def test_pay_now_on_an_invoice_paid_meanwhile_is_information(customer_client, declined):
    Invoice.objects.filter(pk=declined.pk).update(status="paid", payment_state="succeeded")
    response = customer_client.post(reverse("billing:invoice_pay", args=[declined.pk]))
    [(level, text)] = shown(response)
    assert (level, text) == ("info", "This invoice is paid: there is nothing to pay.")


def test_an_invoice_being_paid_asks_again_by_itself_and_stops_at_the_limit(
    customer_client, declined, monkeypatch
):
    Invoice.objects.filter(pk=declined.pk).update(payment_state=PaymentState.PROCESSING)
    url = reverse("billing:invoice", args=[declined.pk])
    page = customer_client.get(url).content.decode()
    assert "Payment pending" in page
    assert f'hx-get="{url}?poll=1"' in page
    assert "Pay 118.80 EUR now" not in page  # no second button while the first is in flight

    monkeypatch.setattr(views, "POLL_LIMIT", 3)
    poll = customer_client.get(f"{url}?poll=2", HTTP_HX_REQUEST="true").content.decode()
    assert f'hx-get="{url}?poll=3"' in poll
    assert "<html" not in poll  # the invoice alone: no page, no flash messages taken
    last = customer_client.get(f"{url}?poll=3", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-get" not in last
    assert "stopped checking" in last


def test_a_settled_invoice_does_not_ask_again(customer_client, declined):
    page = customer_client.get(reverse("billing:invoice", args=[declined.pk])).content.decode()
    assert "hx-get" not in page
    assert re.search(r'<form method="post" action="[^"]*/pay/" data-submit-once>', page)


def test_the_invoice_page_shows_the_customers_vat_number(customer_client, declined):
    Invoice.objects.filter(pk=declined.pk).update(bill_to_vat_number="DE123456789")
    page = customer_client.get(reverse("billing:invoice", args=[declined.pk])).content.decode()
    assert "VAT number DE123456789" in page


def test_the_invoice_list_stacks_on_a_phone_with_each_cells_column_name(customer_client, declined):
    html = customer_client.get(reverse("billing:invoices")).content.decode()
    assert '<table class="invoices stack">' in html
    row = html[html.index(f'data-invoice="{declined.pk}"') :]
    row = row[: row.index("</tr>")]
    labels = re.findall(r'<td data-label="([^"]+)"', row)
    assert labels == ["Number", "Issued", "For", "Period", "Total", "State", "PDF"]
