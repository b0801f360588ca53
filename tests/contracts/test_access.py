"""Customers see only their own contracts, on the pages and in the API; staff see every one."""

import pytest
from django.urls import reverse

from onboarding.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "contracts:detail",
        "contracts:pdf_current",
    ],
)
def test_another_customers_contract_page_is_a_404(
    other_customer, other_customer_client, delivered, url
):
    response = other_customer_client.get(reverse(url, args=[delivered.pk]))
    assert response.status_code == 404
    # The page's door (HiddenRowAuditMiddleware) records the refusal, naming the row.
    entry = AuditEntry.objects.get(action="access.refused")
    assert (entry.object_type, entry.object_id) == ("contracts.contract", str(delivered.pk))
    assert entry.actor == other_customer


def test_another_customers_document_pdf_is_a_404(other_customer_client, delivered):
    response = other_customer_client.get(reverse("contracts:pdf", args=[delivered.pk, 1]))
    assert response.status_code == 404


def test_another_customer_cannot_acknowledge(other_customer_client, delivered):
    document = delivered.documents.get()
    response = other_customer_client.post(
        reverse("contracts:acknowledge", args=[delivered.pk]),
        {"name": "Mallory", "document_sha256": document.sha256, "confirm": "on"},
    )
    assert response.status_code == 404
    assert not delivered.acceptances.exists()


@pytest.mark.parametrize("suffix", ["", "/pdf", "/certificate"])
def test_another_customers_contract_is_a_404_in_the_api(other_customer_client, delivered, suffix):
    response = other_customer_client.get(f"/api/v1/me/contracts/{delivered.pk}{suffix}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    # The API's 404 handler is the door that records the refusal, naming the row.
    entry = AuditEntry.objects.get(action="access.refused")
    assert (entry.object_type, entry.object_id) == ("contracts.contract", str(delivered.pk))


def test_a_contract_that_does_not_exist_is_a_404_without_a_refusal(other_customer_client):
    assert other_customer_client.get("/api/v1/me/contracts/987654").status_code == 404
    assert other_customer_client.get("/account/contracts/987654/").status_code == 404
    assert not AuditEntry.objects.filter(action="access.refused").exists()


def test_the_api_acknowledge_of_another_customers_contract_is_a_404(
    other_customer_client, delivered
):
    response = other_customer_client.post(
        f"/api/v1/me/contracts/{delivered.pk}/acknowledge",
        {"name": "Mallory", "document_sha256": delivered.documents.get().sha256},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_the_list_holds_only_the_customers_own(other_customer_client, buyer_client, delivered):
    assert other_customer_client.get("/api/v1/me/contracts").json() == []
    [mine] = buyer_client.get("/api/v1/me/contracts").json()
    assert mine["number"] == delivered.number
    assert mine["tax"] == {
        "amount_minor": mine["tax_minor"],
        "currency": delivered.currency,
        "display": delivered.tax.format(),
    }
    page = other_customer_client.get(reverse("contracts:list"))
    assert delivered.number not in page.content.decode()


def test_a_customer_at_the_staff_contracts_is_told_nothing_is_there(buyer_client, delivered):
    assert buyer_client.get("/staff/contracts/").status_code == 404
    assert buyer_client.get("/api/v1/staff/contracts").status_code == 404


def test_staff_read_any_contract_and_its_pdf(sysops_client, delivered):
    page = sysops_client.get(reverse("contracts_staff:detail", args=[delivered.pk]))
    assert page.status_code == 200
    assert delivered.number in page.content.decode()
    pdf = sysops_client.get(reverse("contracts_staff:pdf", args=[delivered.pk, 1]))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF-")
