"""The contract document: a real PDF with the contract's facts, stored once with its SHA-256."""

import hashlib
import io
from datetime import UTC, datetime

import pytest
from django.core.files.storage import default_storage
from django.db import transaction
from pypdf import PdfReader

from onboarding.billing.periods import add_months
from onboarding.contracts.documents import contract_document_generate
from onboarding.contracts.issuing import contract_issue_for_subscription
from onboarding.contracts.models import Contract, ContractDocument, ContractState
from onboarding.core.errors import Conflict
from tests.contracts.conftest import paying_customer, subscribe

pytestmark = pytest.mark.django_db


def _pdf_text(document: ContractDocument) -> str:
    with default_storage.open(document.storage_path, "rb") as handle:
        content = handle.read()
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_contract_pdf_names_the_number_the_customer_and_the_product(delivered):
    document = delivered.documents.get()
    text = _pdf_text(document)
    assert delivered.number in text
    assert "Analytical Engines Ltd" in text
    assert "Helpdesk Suite" in text
    assert "Business Care" in text
    assert "Remote troubleshooting" in text  # the plan's service terms


def test_the_stored_pdf_matches_its_recorded_sha256(delivered):
    document = delivered.documents.get()
    with default_storage.open(document.storage_path, "rb") as handle:
        content = handle.read()
    assert content.startswith(b"%PDF-")
    assert hashlib.sha256(content).hexdigest() == document.sha256
    assert document.size_bytes == len(content)


def test_a_stored_document_cannot_be_changed(delivered):
    document = delivered.documents.get()
    document.sha256 = "0" * 64
    with pytest.raises(Conflict):
        document.save()
    assert ContractDocument.objects.get(pk=document.pk).sha256 != "0" * 64


def test_contract_numbers_follow_each_other_within_the_year(media, plan):
    first = contract_issue_for_subscription(subscription=subscribe(paying_customer(), plan))
    second = contract_issue_for_subscription(subscription=subscribe(paying_customer(), plan))
    year = first.issued_at.year
    assert (first.number, second.number) == (f"CTR-{year}-000001", f"CTR-{year}-000002")


def test_a_rolled_back_issue_gives_its_number_back(media, plan):
    subscription = subscribe(paying_customer(), plan)
    with pytest.raises(RuntimeError), transaction.atomic():
        contract_issue_for_subscription(subscription=subscription)
        raise RuntimeError("the caller's transaction fails after the number was taken")
    contract = contract_issue_for_subscription(subscription=subscription)
    assert contract.number.endswith("-000001")


def test_issuing_twice_gives_the_same_contract(media, subscription):
    first = contract_issue_for_subscription(subscription=subscription)
    again = contract_issue_for_subscription(subscription=subscription)
    assert again.pk == first.pk
    assert Contract.objects.count() == 1
    assert first.state == ContractState.ISSUED


def test_generating_twice_stores_one_document(media, subscription):
    contract = contract_issue_for_subscription(subscription=subscription)
    first = contract_document_generate(contract=contract)
    again = contract_document_generate(contract=contract)
    assert again.pk == first.pk
    assert ContractDocument.objects.count() == 1
    assert len(list(media.rglob("*.pdf"))) == 1


def test_the_term_runs_the_plans_term_months_from_the_billing_anchor(media, subscription):
    contract = contract_issue_for_subscription(subscription=subscription)
    assert contract.term_start == subscription.billing_anchor
    assert contract.term_months == 12
    assert contract.term_end.year == contract.term_start.year + 1


def test_a_term_from_the_end_of_a_month_ends_at_the_end_of_a_shorter_one(media, plan):
    # The term counts months as billing periods do (billing.periods.add_months): 29 February
    # plus the plan's 12 months is 28 February, not 1 March.
    anchor = datetime(2028, 2, 29, 9, 30, tzinfo=UTC)
    subscription = subscribe(paying_customer(), plan, anchor=anchor)
    contract = contract_issue_for_subscription(subscription=subscription)
    assert contract.term_months == 12
    assert contract.term_end == datetime(2029, 2, 28, 9, 30, tzinfo=UTC)
    assert contract.term_end == add_months(anchor, 12)
