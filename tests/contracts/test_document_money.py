"""The contract's price, written as the customer's country writes money, and its tax treatment:
a reverse charge with its mention and both VAT numbers, or the rate the prices are net of."""

import io

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from pypdf import PdfReader

from onboarding.accounts.services import customer_profile_update
from onboarding.billing.models import Subscription
from onboarding.contracts.models import Contract, ContractDocument
from onboarding.contracts.rendering import contract_context
from tests.contracts.conftest import deliver_inline, paying_customer, subscribe
from tests.factories import complete_profile

pytestmark = pytest.mark.django_db

SELLER_VAT = "IE6388047V"
CUSTOMER_VAT = "DE136695976"


def _words(text: str) -> str:
    """Text with every run of whitespace (line breaks, no-break spaces) as one space."""
    return " ".join(text.split())


def _pdf_words(document: ContractDocument) -> str:
    with default_storage.open(document.storage_path, "rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return _words("\n".join(page.extract_text() for page in reader.pages))


def _contract_for(media, plan, *, country: str, vat_number: str = "", **profile) -> Contract:
    user = paying_customer()
    complete_profile(user.customer, country=country, vat_number=vat_number, **profile)
    return deliver_inline(subscribe(user, plan))


def test_the_contract_pdf_writes_the_price_as_a_german_customer_reads_it(media, plan, settings):
    settings.BILLING_SELLER_TAX_ID = SELLER_VAT
    contract = _contract_for(media, plan, country="DE")

    text = _pdf_words(contract.documents.get())

    # 99.00 EUR net, 19% German VAT: 18.81, 117.81 in all.
    assert "99,00 €" in text and "18,81 €" in text and "117,81 €" in text
    assert "99.00 EUR" not in text
    assert "VAT 19%" in text
    assert "Prices are net of VAT. VAT is added to each invoice at the rate of Germany" in text
    assert "19% when this contract was drawn up" in text
    assert "reverse charge" not in text.lower()
    assert f"Provider's VAT number {SELLER_VAT}" in text
    assert "Customer's VAT number" not in text  # a consumer has none


def test_a_reverse_charged_contract_states_the_mention_and_both_vat_numbers(media, plan, settings):
    settings.BILLING_SELLER_TAX_ID = SELLER_VAT
    contract = _contract_for(media, plan, country="DE", vat_number=CUSTOMER_VAT)

    text = _pdf_words(contract.documents.get())

    assert contract.reverse_charge is True and contract.tax_rate_bp == 0
    assert (contract.customer_vat_number, contract.seller_vat_number) == (CUSTOMER_VAT, SELLER_VAT)
    assert "VAT 0% (reverse charge)" in text
    assert "Reverse charge: VAT to be accounted for by the recipient" in text
    assert "(Article 196, Council Directive 2006/112/EC)" in text
    assert f"Provider's VAT number {SELLER_VAT}" in text
    assert f"Customer's VAT number {CUSTOMER_VAT}" in text
    assert "99,00 €" in text and "0,00 €" in text
    assert "at the rate of Germany" not in text


def test_the_contract_keeps_the_tax_it_was_drawn_up_with_and_its_stored_pdf(media, plan, settings):
    settings.BILLING_SELLER_TAX_ID = SELLER_VAT
    contract = _contract_for(media, plan, country="DE", vat_number=CUSTOMER_VAT)
    document = contract.documents.get()
    with default_storage.open(document.storage_path, "rb") as handle:
        stored = handle.read()
    customer = contract.customer
    customer_profile_update(
        customer=customer,
        actor=customer.user,
        profile={"country": "IE", "postal_code": "D02 X285", "vat_number": ""},
    )
    settings.BILLING_SELLER_TAX_ID = "IE9999999W"

    contract = Contract.objects.get(pk=contract.pk)
    tax = contract_context(contract=contract, version=2)["tax_treatment"]

    # A new version of this contract states what was agreed, not today's profile.
    assert tax["reverse_charge"] is True and tax["country"] == "DE"
    assert (tax["customer_vat_number"], tax["seller_vat_number"]) == (CUSTOMER_VAT, SELLER_VAT)
    assert contract_context(contract=contract, version=2)["contract"]["price"] == "99,00\xa0€"
    with default_storage.open(document.storage_path, "rb") as handle:
        assert handle.read() == stored
    assert ContractDocument.objects.get(pk=document.pk).sha256 == document.sha256


def test_new_documents_use_the_template_that_states_the_tax(delivered):
    assert delivered.documents.get().template.version == 3


def test_a_contract_in_yen_has_no_decimals(media, plan):
    user = paying_customer()
    complete_profile(user.customer, country="JP")
    subscription = subscribe(user, plan)
    Subscription.objects.filter(pk=subscription.pk).update(currency="JPY", amount_minor=12000)
    subscription.refresh_from_db()

    contract = deliver_inline(subscription)
    text = _pdf_words(contract.documents.get())

    assert "¥12,000" in text  # en_JP: the symbol, and no ".00"
    assert "12,000.00" not in text and "¥120" not in text
    assert "Prices are stated without tax. No tax is charged on sales to Japan" in text
    assert "net of Tax" not in text


def test_the_contract_page_writes_the_price_as_the_customers_country_does(delivered, buyer_client):
    page = _words(
        buyer_client.get(reverse("contracts:detail", args=[delivered.pk])).content.decode()
    )

    # The buyer is billed in GB: 99.00 EUR + 20% VAT, written en_GB.
    assert "€118.80 monthly including tax (€99.00 + €19.80, VAT 20%)" in page
    assert "118.80 EUR" not in page
