"""Customer pages and API for invoices: list, detail, PDF, pay now; nobody else's invoice."""

import io

import pypdf
import pytest
from django.urls import reverse

from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.followups import invoice_follow_up
from onboarding.billing.models import Invoice, InvoiceStatus
from onboarding.payments.models import PaymentAttempt
from tests.billing.conftest import DECLINING_CARD, buy, ready_customer, today
from tests.factories import DEFAULT_PASSWORD
from tests.payments.helpers import GOOD_CARD, card_on_file

pytestmark = pytest.mark.django_db
API = "/api/v1/me/invoices"


@pytest.fixture
def invoice(plan, customer) -> Invoice:
    buy(ready_customer(customer), plan)
    bill_run_execute(run_date=today())
    return Invoice.objects.get()


@pytest.fixture
def declined(plan, customer) -> Invoice:
    buy(ready_customer(customer, card=DECLINING_CARD), plan)
    bill_run_execute(run_date=today())
    return Invoice.objects.get()


def pdf_text(content: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)


def test_the_list_shows_the_customers_invoices(customer_client, invoice):
    response = customer_client.get(reverse("billing:invoices"))
    assert response.status_code == 200
    assert invoice.number in response.content.decode()


def test_another_customer_sees_none_of_them(other_customer_client, other_customer, invoice):
    response = other_customer_client.get(reverse("billing:invoices"))
    assert invoice.number not in response.content.decode()
    assert other_customer_client.get(API).json() == []


def test_the_detail_page_shows_lines_and_totals(customer_client, invoice):
    page = customer_client.get(reverse("billing:invoice", args=[invoice.pk])).content.decode()
    assert "Business Care, monthly support" in page
    assert "€118.80" in page  # the customer in the UK: en_GB


def test_the_pdf_downloads_with_the_number_customer_and_total(customer_client, invoice):
    invoice_follow_up(invoice_id=invoice.pk)  # the worker makes it: a download never renders
    response = customer_client.get(reverse("billing:invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{invoice.number}.pdf"' in response["Content-Disposition"]
    text = pdf_text(b"".join(response.streaming_content))
    assert invoice.number in text and "Acme Ltd" in text and "€118.80" in text


@pytest.mark.parametrize(
    "path",
    [
        "billing:invoice",
        "billing:invoice_pdf",
    ],
)
def test_another_customers_invoice_is_not_found_on_the_pages(other_customer_client, invoice, path):
    assert other_customer_client.get(reverse(path, args=[invoice.pk])).status_code == 404


def test_another_customer_cannot_pay_my_invoice(other_customer_client, declined):
    response = other_customer_client.post(reverse("billing:invoice_pay", args=[declined.pk]))
    assert response.status_code == 404
    assert PaymentAttempt.objects.count() == 1


@pytest.mark.parametrize("suffix", ["", "/pdf"])
def test_another_customers_invoice_is_not_found_in_the_api(other_customer_client, invoice, suffix):
    assert other_customer_client.get(f"{API}/{invoice.pk}{suffix}").status_code == 404


def test_another_customer_cannot_pay_my_invoice_through_the_api(other_customer_client, declined):
    assert other_customer_client.post(f"{API}/{declined.pk}/pay").status_code == 404


def test_staff_are_sent_to_the_staff_pages_not_the_customers(sysops_client, invoice):
    assert sysops_client.get(reverse("billing:invoice", args=[invoice.pk])).status_code == 404


def test_pay_now_after_a_decline_with_a_new_card(customer_client, customer, declined):
    card_on_file(customer.customer, GOOD_CARD, password=DEFAULT_PASSWORD)
    response = customer_client.post(reverse("billing:invoice_pay", args=[declined.pk]), follow=True)
    assert response.status_code == 200
    assert "is paid" in response.content.decode()
    declined.refresh_from_db()
    assert declined.status == InvoiceStatus.PAID


def test_pay_now_declined_again_says_why(customer_client, declined):
    response = customer_client.post(reverse("billing:invoice_pay", args=[declined.pk]), follow=True)
    assert "insufficient funds" in response.content.decode()
    declined.refresh_from_db()
    assert (declined.status, declined.attempt_count) == (InvoiceStatus.OPEN, 2)


def test_paying_a_paid_invoice_says_so_and_charges_nothing(customer_client, invoice):
    response = customer_client.post(reverse("billing:invoice_pay", args=[invoice.pk]), follow=True)
    assert "nothing to pay" in response.content.decode()
    assert PaymentAttempt.objects.count() == 1


def test_the_api_lists_gets_and_pays(customer_client, customer, declined):
    [listed] = customer_client.get(API).json()
    assert (listed["number"], listed["payable"]) == (declined.number, True)
    assert listed["total_money"] == {
        "amount_minor": declined.total_minor,
        "currency": declined.currency,
        "display": listed["total"],
    }
    detail = customer_client.get(f"{API}/{declined.pk}").json()
    assert detail["lines"][0]["amount_minor"] == 9900
    assert detail["lines"][0]["amount"] == {
        "amount_minor": 9900,
        "currency": declined.currency,
        "display": f"99.00 {declined.currency}",
    }
    assert detail["credited"]["amount_minor"] == detail["credited_minor"] == 0
    card_on_file(customer.customer, GOOD_CARD, password=DEFAULT_PASSWORD)
    paid = customer_client.post(f"{API}/{declined.pk}/pay")
    assert paid.status_code == 200
    assert (paid.json()["status"], paid.json()["payable"]) == ("paid", False)


def test_the_api_pdf_is_a_pdf(customer_client, invoice):
    invoice_follow_up(invoice_id=invoice.pk)  # the worker makes it: a download never renders
    response = customer_client.get(f"{API}/{invoice.pk}/pdf")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_paying_a_paid_invoice_through_the_api_is_a_conflict(customer_client, invoice):
    response = customer_client.post(f"{API}/{invoice.pk}/pay")
    assert response.status_code == 409
    assert "nothing to pay" in response.json()["detail"]


@pytest.mark.parametrize(
    "query", [{"limit": 0}, {"limit": 1000}, {"offset": -1}, {"limit": "many"}]
)
def test_bad_paging_is_a_422_not_a_500(customer_client, invoice, query):
    assert customer_client.get(API, query).status_code == 422


@pytest.mark.parametrize("bad_id", ["0", "999999", "abc", "1e3"])
def test_a_bad_id_is_a_404_not_a_500(customer_client, invoice, bad_id):
    assert customer_client.get(f"{API}/{bad_id}").status_code in (404, 422)
    assert customer_client.get(f"/account/invoices/{bad_id}/").status_code == 404


def test_signed_out_visitors_are_asked_to_sign_in(client, invoice):
    assert client.get(reverse("billing:invoices")).status_code == 302
    assert client.get(API).status_code == 401
