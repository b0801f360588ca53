"""Contract documents in the customer's language: the legal text per language, and a hash that
depends on nothing but the contract (English contracts hash as they did before languages)."""

import io
import re
from datetime import UTC, datetime

import pytest
from allauth.account.models import EmailAddress
from django.core.files.storage import default_storage
from django.utils import translation
from pypdf import PdfReader

from onboarding.contracts.acknowledgement import contract_acknowledge
from onboarding.contracts.certificates import contract_certificate_generate
from onboarding.contracts.delivery import contract_email_send
from onboarding.contracts.documents import contract_template_current
from onboarding.contracts.issuing import contract_issue_for_subscription
from onboarding.contracts.models import Contract
from onboarding.contracts.rendering import (
    contract_context,
    contract_html,
    contract_pdf,
    pdf_from_html,
)
from onboarding.notifications.models import Notification
from tests.contracts.conftest import deliver_inline, paying_customer, subscribe
from tests.factories import UserFactory, complete_profile

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


def _sha256(contract: Contract) -> str:
    context = contract_context(contract=contract, version=1)
    context["customer"]["reference"] = "CUS-000042"
    template = contract_template_current(contract.language)
    return pdf_from_html(
        html=contract_html(template=template, context=context), css=template.css
    ).sha256


def test_an_english_contract_hashes_as_it_did_before_languages(media, plan):
    contract = _fixed_contract(plan)
    assert _sha256(contract) == ENGLISH_SHA256


# Words of the English layout that must not be left in a German document. The plan's own data
# (product, plan, its service terms, the tax's name) is the business's text, not the layout's.
ENGLISH_WORDS = re.compile(
    r"\b(the|of|and|contract|customer|provider|price|term|issued|page|month|currency|"
    r"acknowledg\w*|certificate|reference|document|signed|stored|from|to|at)\b",
    re.IGNORECASE,
)
PLAN_DATA = (
    "Helpdesk Suite",
    "Business Care",
    "Business-hours support",
    "Email and phone support",
    "Remote troubleshooting",
    "Business",
    "VAT",
)


def _text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _stored_text(path: str) -> str:
    with default_storage.open(path, "rb") as handle:
        return _text(handle.read())


def english_left(text: str, *data: str) -> list[str]:
    for value in (*PLAN_DATA, *data):
        text = text.replace(value, " ")
    return ENGLISH_WORDS.findall(text)


def german_customer(**fields):
    user = UserFactory(email="grete@example.com", first_name="Grete", last_name="Weber", **fields)
    customer = complete_profile(
        user.customer,
        company="Analytische Maschinen GmbH",
        address_line1="Hauptstraße 5",
        city="Berlin",
        country="DE",
    )
    customer.language = "de"
    customer.save(update_fields=["language"])
    return user


@pytest.fixture
def german_contract(media, plan) -> Contract:
    with translation.override("en"):  # whoever runs the worker: its language does not count
        return deliver_inline(subscribe(german_customer(), plan))


def test_a_german_customers_contract_is_german_and_records_it(german_contract):
    document = german_contract.documents.get()
    assert (german_contract.language, document.template.language) == ("de", "de")
    text = _stored_text(document.storage_path)
    assert "Supportvertrag" in text and "Vertragsnummer" in text
    assert "Preis pro Monat" in text and "Abrechnungszeitraum" in text
    assert "Deutschland" in text  # the country's name in German
    assert re.search(r"\d{1,2}\. \w+ \d{4}", text)  # "2. März 2026"
    assert re.search(r"Seite 1 von \d", text)
    assert english_left(text, german_contract.number, "grete@example.com", "UTC") == []


def test_the_german_contract_renders_to_the_same_hash_whoever_renders_it(german_contract):
    document = german_contract.documents.get()
    contract = Contract.objects.select_related("customer__user", "previous").get(
        pk=german_contract.pk
    )
    renders = set()
    for active in ("en", "fr", "de"):
        with translation.override(active):
            renders.add(
                contract_pdf(contract=contract, template=document.template, version=1).sha256
            )
    assert renders == {document.sha256}


def test_the_mail_carrying_the_contract_is_german(german_contract):
    mail = Notification.objects.get(kind="contract_document")
    assert mail.language == "de"
    assert mail.subject == f"Ihr Supportvertrag {german_contract.number} (PDF)"


def test_a_resend_after_the_customer_switched_to_french_is_still_german(german_contract):
    customer = german_contract.customer
    customer.language = "fr"
    customer.save(update_fields=["language"])
    user = customer.user
    EmailAddress.objects.filter(user=user).update(primary=False)
    EmailAddress.objects.create(user=user, email="grete@weber.example", verified=True, primary=True)
    with translation.override("fr"):  # the request of a French-speaking reader
        contract_email_send(contract=german_contract, actor=user)
    mail = Notification.objects.get(kind="contract_document", to_email="grete@weber.example")
    assert mail.language == "de" and mail.subject.startswith("Ihr Supportvertrag")
    # The document sent is the German one already stored (the same bytes, the same hash).
    document = german_contract.documents.get()
    assert mail.attachments[0]["storage_path"] == document.storage_path
    assert "Supportvertrag" in _stored_text(document.storage_path)


def test_the_acknowledgement_records_the_german_version_and_its_certificate_is_german(
    german_contract,
):
    document = german_contract.documents.get()
    user = german_contract.customer.user
    acceptance = contract_acknowledge(
        contract=german_contract,
        actor=user,
        typed_name="Grete Weber",
        document_sha256=document.sha256,
        client_ip="192.0.2.7",
        user_agent="Firefox",
    )
    assert (acceptance.language, acceptance.document_sha256) == ("de", document.sha256)
    german_contract.customer.language = "fr"  # a later switch changes nothing already issued
    german_contract.customer.save(update_fields=["language"])
    with translation.override("en"):
        certificate = contract_certificate_generate(acceptance_id=acceptance.pk)
    text = _stored_text(certificate.storage_path)
    assert "Annahmebestätigung" in text and "Sprachfassung" in text and "Deutsch" in text
    assert "angemeldet als" in text and document.sha256[:20] in text
    left = english_left(
        text,
        german_contract.number,
        acceptance.reference,
        "grete@example.com",
        "Grete Weber",
        "Firefox",
        "UTC",
    )
    assert left == []


def test_a_french_customers_contract_uses_the_french_version(media, plan):
    user = UserFactory(email="jeanne@example.com")
    customer = complete_profile(user.customer, company="Moteurs Analytiques SARL", country="FR")
    customer.language = "fr"
    customer.save(update_fields=["language"])
    contract = deliver_inline(subscribe(user, plan))
    document = contract.documents.get()
    assert (contract.language, document.template.language, document.template.version) == (
        "fr",
        "fr",
        1,
    )
    text = _stored_text(document.storage_path)
    assert "Contrat de support" in text and "Prix par mois" in text and "France" in text
    assert re.search(r"Page 1 sur \d", text)
