"""Acknowledgement in the portal: read, type your name, confirm; only the exact stored document
can be acknowledged; a certificate of acceptance can be downloaded; a new version needs a new
acknowledgement."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from onboarding.audit.models import AuditEntry
from onboarding.contracts.certificates import contract_certificate_generate
from onboarding.contracts.delivery import contract_deliver
from onboarding.contracts.documents import contract_document_generate
from onboarding.contracts.lifecycle import contract_amend
from onboarding.contracts.models import ContractAcceptance, ContractState

pytestmark = pytest.mark.django_db


def _acknowledge(client, contract, sha256: str, name: str = "Ada Lovelace"):
    return client.post(
        reverse("contracts:acknowledge", args=[contract.pk]),
        {"name": name, "document_sha256": sha256, "confirm": "on"},
    )


def test_the_page_shows_the_hash_of_the_document_it_offers(buyer_client, delivered):
    document = delivered.documents.get()
    page = buyer_client.get(reverse("contracts:detail", args=[delivered.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert document.sha256 in html
    assert f'name="document_sha256" value="{document.sha256}"' in html


def test_acknowledging_records_who_when_where_and_what(buyer_client, buyer, delivered):
    document = delivered.documents.get()

    response = _acknowledge(buyer_client, delivered, document.sha256)

    assert response.status_code == 302
    acceptance = ContractAcceptance.objects.get()
    assert acceptance.user == buyer
    assert acceptance.typed_name == "Ada Lovelace"
    assert acceptance.document == document
    assert acceptance.document_sha256 == document.sha256
    assert acceptance.client_ip == "127.0.0.1"
    assert acceptance.user_agent == "ContractTest/1.0 (pytest)"
    delivered.refresh_from_db()
    assert delivered.state == ContractState.ACTIVE  # the term has started
    entry = AuditEntry.objects.get(action="contract.acknowledged")
    assert entry.changes["state"] == ["sent", "acknowledged", "active"]


def test_a_hash_that_is_not_the_stored_documents_is_refused(buyer_client, delivered):
    stale = "ab" * 32

    response = _acknowledge(buyer_client, delivered, stale)

    assert response.status_code == 422
    assert "not the current version" in response.content.decode()
    assert not ContractAcceptance.objects.exists()
    delivered.refresh_from_db()
    assert delivered.state == ContractState.SENT
    refused = AuditEntry.objects.get(action="contract.acknowledge_refused")
    assert refused.outcome == "refused"
    assert refused.changes["offered_sha256"] == stale


def test_the_api_refuses_a_hash_that_is_not_the_stored_documents(buyer_client, delivered):
    response = buyer_client.post(
        f"/api/v1/me/contracts/{delivered.pk}/acknowledge",
        {"name": "Ada Lovelace", "document_sha256": "cd" * 32},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["field"] == "document_sha256"
    assert not ContractAcceptance.objects.exists()


def test_the_api_acknowledges_the_document_by_its_hash(buyer_client, delivered):
    document = delivered.documents.get()
    response = buyer_client.post(
        f"/api/v1/me/contracts/{delivered.pk}/acknowledge",
        {"name": "Ada Lovelace", "document_sha256": document.sha256.upper()},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["document_sha256"] == document.sha256
    got = buyer_client.get(f"/api/v1/me/contracts/{delivered.pk}").json()
    assert got["acknowledged"] is True
    assert got["state"] == "active"


def test_acknowledging_needs_a_typed_name_and_the_box_ticked(buyer_client, delivered):
    document = delivered.documents.get()
    response = buyer_client.post(
        reverse("contracts:acknowledge", args=[delivered.pk]),
        {"name": " ", "document_sha256": document.sha256},
    )
    assert response.status_code == 422
    assert not ContractAcceptance.objects.exists()


def test_the_certificate_of_acceptance_is_a_pdf_of_the_record(buyer_client, delivered):
    document = delivered.documents.get()
    _acknowledge(buyer_client, delivered, document.sha256)
    acceptance = ContractAcceptance.objects.get()
    # The worker makes it: a download never renders (tests/contracts/test_certificate_downloads.py).
    contract_certificate_generate(acceptance_id=acceptance.pk)

    response = buyer_client.get(
        reverse("contracts:certificate", args=[delivered.pk, acceptance.pk])
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Certificate of acceptance" in text
    assert delivered.number in text
    assert "Ada Lovelace" in text
    assert document.sha256[:32] in text.replace("\n", "")


def test_a_changed_contract_is_a_new_version_that_needs_a_new_acknowledgement(
    buyer_client, buyer, delivered, sysops
):
    first = delivered.documents.get()
    _acknowledge(buyer_client, delivered, first.sha256)

    contract_amend(contract=delivered, actor=sysops, reason="New response time")
    delivered.refresh_from_db()
    assert delivered.state == ContractState.ISSUED
    contract_document_generate(contract=delivered)
    contract_deliver(contract=delivered)
    delivered.refresh_from_db()
    second = delivered.documents.get(version=2)

    assert delivered.state == ContractState.SENT
    assert second.sha256 != first.sha256
    assert _acknowledge(buyer_client, delivered, first.sha256).status_code == 422
    assert _acknowledge(buyer_client, delivered, second.sha256).status_code == 302
    assert list(
        ContractAcceptance.objects.order_by("accepted_at").values_list(
            "document__version", flat=True
        )
    ) == [1, 2]


def test_acknowledging_the_same_document_twice_keeps_the_first_record(buyer_client, delivered):
    document = delivered.documents.get()
    _acknowledge(buyer_client, delivered, document.sha256)
    _acknowledge(buyer_client, delivered, document.sha256, name="Someone Else")
    assert list(ContractAcceptance.objects.values_list("typed_name", flat=True)) == ["Ada Lovelace"]
