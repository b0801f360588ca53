"""Staff pages and API for invoices: filters, refunds (whole or partial), void, bad input."""

import pytest
from django.urls import reverse

from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import CreditNote, Invoice, InvoiceStatus
from tests.billing.conftest import DECLINING_CARD, buy, ready_customer, today
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/staff/invoices"


@pytest.fixture
def invoices(plan):
    paid = buy(ready_customer(UserFactory(email="paid@example.com")), plan)
    failed = buy(ready_customer(UserFactory(email="poor@example.com"), card=DECLINING_CARD), plan)
    bill_run_execute(run_date=today())
    return (
        Invoice.objects.get(subscription=paid),
        Invoice.objects.get(subscription=failed),
    )


def test_the_list_filters_by_state(sysops_client, invoices):
    paid, failed = invoices
    page = sysops_client.get(reverse("billing:staff_invoices"), {"status": "open"})
    text = page.content.decode()
    assert failed.number in text and paid.number not in text


def test_the_list_filters_by_customer_email(sysops_client, invoices):
    paid, failed = invoices
    text = sysops_client.get(reverse("billing:staff_invoices"), {"q": "poor@"}).content.decode()
    assert failed.number in text and paid.number not in text


def test_an_unknown_state_in_the_filter_is_a_field_error_not_a_500(sysops_client, invoices):
    response = sysops_client.get(reverse("billing:staff_invoices"), {"status": "exploded"})
    assert response.status_code == 422


def test_customers_find_no_staff_invoice_pages(customer_client, invoices):
    paid, _ = invoices
    assert customer_client.get(reverse("billing:staff_invoices")).status_code == 404
    assert customer_client.get(reverse("billing:staff_invoice", args=[paid.pk])).status_code == 404
    assert customer_client.get(API).status_code == 404


def test_the_detail_shows_payments_and_the_refund_form(manager_client, invoices):
    paid, _ = invoices
    page = manager_client.get(reverse("billing:staff_invoice", args=[paid.pk])).content.decode()
    assert "Succeeded" in page
    assert 'name="reason"' in page


def test_a_partial_refund_through_the_form_issues_a_credit_note(sysops_client, invoices):
    paid, _ = invoices
    response = sysops_client.post(
        reverse("billing:staff_invoice_refund", args=[paid.pk]),
        {"amount": "18.80", "reason": "Outage on 3 May"},
    )
    assert response.status_code == 302
    note = CreditNote.objects.get()
    assert (note.total_minor, note.status) == (1880, "issued")
    paid.refresh_from_db()
    assert paid.credited_minor == 1880


@pytest.mark.parametrize(
    ("amount", "reason", "field"),
    [
        ("twelve", "A reason", "amount"),
        ("-5", "A reason", "amount"),
        ("0", "A reason", "amount"),
        ("1.234", "A reason", "amount"),
        ("999999999999999999", "A reason", "amount"),
        ("10", "", "reason"),
        ("10", "x" * 501, "reason"),
    ],
)
def test_bad_refund_input_is_a_field_error(sysops_client, invoices, amount, reason, field):
    paid, _ = invoices
    response = sysops_client.post(
        reverse("billing:staff_invoice_refund", args=[paid.pk]),
        {"amount": amount, "reason": reason},
    )
    assert response.status_code == 422
    assert response.context["refund_form"].errors[field]
    assert not CreditNote.objects.exists()


def test_refunding_an_unpaid_invoice_is_refused_on_the_form(sysops_client, invoices):
    _, failed = invoices
    response = sysops_client.post(
        reverse("billing:staff_invoice_refund", args=[failed.pk]), {"reason": "Goodwill"}
    )
    assert response.status_code == 422
    assert "Only a paid invoice" in response.content.decode()


def test_the_api_lists_filters_and_refunds(admin_client_2fa, invoices):
    paid, _ = invoices
    [listed] = admin_client_2fa.get(API, {"status": "paid"}).json()
    assert listed["number"] == paid.number
    assert listed["total_money"] == {
        "amount_minor": listed["total_minor"],
        "currency": paid.currency,
        "display": listed["total"],
    }
    response = admin_client_2fa.post(
        f"{API}/{paid.pk}/refund",
        {"reason": "Cancelled in the first week"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["total_minor"] == 11880
    assert response.json()["total"] == {
        "amount_minor": 11880,
        "currency": paid.currency,
        "display": f"118.80 {paid.currency}",
    }
    assert response.json()["number"].startswith("CN-")


@pytest.mark.parametrize(
    "body",
    [
        {"reason": "ok reason", "amount_minor": 0},
        {"reason": "ok reason", "amount_minor": -1},
        {"reason": "ok reason", "amount_minor": "lots"},
        {"reason": ""},
        {},
    ],
)
def test_bad_refund_bodies_are_422(sysops_client, invoices, body):
    paid, _ = invoices
    response = sysops_client.post(f"{API}/{paid.pk}/refund", body, content_type="application/json")
    assert response.status_code == 422


def test_refunding_more_than_was_paid_is_a_400(sysops_client, invoices):
    paid, _ = invoices
    response = sysops_client.post(
        f"{API}/{paid.pk}/refund",
        {"reason": "Too much", "amount_minor": 11881},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "amount"


def test_an_unknown_state_filter_in_the_api_is_a_400(sysops_client, invoices):
    assert sysops_client.get(API, {"status": "exploded"}).status_code == 400


def test_voiding_an_open_invoice_stops_its_dunning(sysops_client, invoices):
    _, failed = invoices
    response = sysops_client.post(
        f"{API}/{failed.pk}/void", {"reason": "Sold by mistake"}, content_type="application/json"
    )
    assert response.status_code == 200
    failed.refresh_from_db()
    assert (failed.status, failed.next_retry_at) == (InvoiceStatus.VOID, None)


def test_voiding_a_paid_invoice_is_a_conflict(sysops_client, invoices):
    paid, _ = invoices
    response = sysops_client.post(
        f"{API}/{paid.pk}/void", {"reason": "Sold by mistake"}, content_type="application/json"
    )
    assert response.status_code == 409
