"""Contract documents in the customer's language: the legal text per language, and a hash that
depends on nothing but the contract (English contracts hash as they did before languages)."""

from datetime import UTC, datetime

import pytest

from onboarding.contracts.documents import contract_template_current
from onboarding.contracts.issuing import contract_issue_for_subscription
from onboarding.contracts.models import Contract
from onboarding.contracts.rendering import contract_context, contract_html, pdf_from_html
from tests.contracts.conftest import paying_customer, subscribe

pytestmark = pytest.mark.django_db

MOMENT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
# The English contract below, rendered by the code before contracts had a language (main at
# 1b59021): its PDF's SHA-256. An English contract must keep hashing to exactly this.
ENGLISH_SHA256 = "dfd5e5368ceb86b0843d651136f32efa93f04f2510758472aeb51db9c457a926"


def _fixed_contract(plan, *, language: str = "en") -> Contract:
    """A contract whose every rendered value is fixed (not the ids a database hands out)."""
    user = paying_customer(email="ada@example.com")
    customer = user.customer
    customer.language = language
    customer.save(update_fields=["language"])
    contract = contract_issue_for_subscription(subscription=subscribe(user, plan, anchor=MOMENT))
    Contract.objects.filter(pk=contract.pk).update(number="CTR-2026-000042", issued_at=MOMENT)
    return Contract.objects.select_related("customer__user", "previous").get(pk=contract.pk)


def _sha256(contract: Contract, language: str = "en") -> str:
    context = contract_context(contract=contract, version=1)
    context["customer"]["reference"] = "CUS-000042"
    template = contract_template_current()
    return pdf_from_html(
        html=contract_html(template=template, context=context), css=template.css
    ).sha256


def test_an_english_contract_hashes_as_it_did_before_languages(media, plan):
    contract = _fixed_contract(plan)
    assert _sha256(contract) == ENGLISH_SHA256
