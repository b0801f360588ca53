"""Invoices and credit notes in the language they were issued in: the PDF, its re-render and the
mail carrying it, whatever the customer's language is later and whoever renders it."""

import io
import re

import pypdf
import pytest
from django.core.files.storage import default_storage
from django.utils import translation

from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.documents import credit_note_pdf_build, invoice_pdf_build
from onboarding.billing.followups import credit_note_follow_up, invoice_follow_up
from onboarding.billing.models import CreditNote, Invoice
from onboarding.billing.services import invoice_refund
from onboarding.core.money import Money
from onboarding.notifications.models import Notification
from tests.billing.conftest import buy, ready_customer, today

pytestmark = pytest.mark.django_db

# Words of the English layout that must not be left in a German document.
ENGLISH_WORDS = re.compile(
    r"\b(invoice|credit|note|customer|issue|date|due|period|paid|bill|description|qty|unit|"
    r"price|net|rate|tax|summary|subtotal|total|reason|refunded|card|the|of|to|on|by|all|"
    r"amounts|number)\b",
    re.IGNORECASE,
)


def _text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def _stored_text(path: str) -> str:
    with default_storage.open(path, "rb") as handle:
        return _text(handle.read())


def _english_left(text: str, invoice: Invoice, *data: str) -> list[str]:
    # The business's own data: the plan's line, the tax's name ("VAT"), the seller's address
    # (settings).
    seller = ("Onboarding Support Ltd", "1 Service Street", "Ireland")
    lines = [line.description for line in invoice.lines.all()]
    for value in (*lines, "VAT", *seller, *data):
        text = text.replace(value, " ")
    return ENGLISH_WORDS.findall(text)


@pytest.fixture
def german_invoice(plan, customer) -> Invoice:
    ready = ready_customer(
        customer, company="Weber GmbH", address_line1="Hauptstraße 5", city="Berlin", country="DE"
    )
    ready.language = "de"
    ready.save(update_fields=["language"])
    buy(ready, plan)
    with translation.override("en"):  # the worker's language does not count
        bill_run_execute(run_date=today())
        invoice_follow_up(invoice_id=Invoice.objects.get().pk)
    return Invoice.objects.get()


def _switch_to_french(invoice: Invoice) -> None:
    customer = invoice.customer
    customer.language = "fr"
    customer.save(update_fields=["language"])


def test_a_german_customers_invoice_is_german_and_records_it(german_invoice):
    assert german_invoice.language == "de"
    text = _stored_text(german_invoice.pdf_path)
    assert "Rechnungsnummer" in text and "RECHNUNGSEMPFÄNGER" in text  # (upper case by CSS)
    assert "BEZAHLT" in text and "vollständig bezahlt" in text
    assert "Deutschland" in text  # the address's country, in German
    assert "117,81\xa0€" in text  # money as German writes it in Germany
    assert re.search(r"\d{1,2}\. \w+ \d{4}", text)  # "5. Dezember 2026"
    assert _english_left(text, german_invoice, german_invoice.number, "Weber GmbH") == []


def test_the_invoice_mail_is_german(german_invoice):
    mail = Notification.objects.get(kind="invoice_issued")
    assert mail.language == "de"
    assert mail.subject.startswith(f"Rechnung {german_invoice.number}")
    assert mail.attachments[0]["storage_path"] == german_invoice.pdf_path


def test_a_re_render_after_the_customer_switched_to_french_is_still_german(german_invoice):
    _switch_to_french(german_invoice)
    with translation.override("fr"):  # a French-speaking reader's request
        stored = invoice_pdf_build(Invoice.objects.get(pk=german_invoice.pk))
    text = _stored_text(stored.path)
    assert "Rechnungsnummer" in text and "Facture" not in text
    assert stored.sha256 == german_invoice.pdf_sha256  # the same document, byte for byte


def test_a_german_credit_note_its_re_render_and_its_mail_are_german(german_invoice, sysops):
    note = invoice_refund(
        invoice=german_invoice, actor=sysops, amount=Money(500, "EUR"), reason="Ausfalltag"
    )
    with translation.override("en"):
        credit_note_follow_up(credit_note_id=note.pk)
    note = CreditNote.objects.get(pk=note.pk)
    assert note.language == "de"
    text = _stored_text(note.pdf_path)
    assert "Gutschrift" in text and "GUTGESCHRIEBEN AN" in text and "5,00\xa0€" in text
    assert "Grund: Ausfalltag" in text
    words = " ".join(text.split())
    assert f"Erstattung zu Rechnung {german_invoice.number}: Ausfalltag" in words
    assert _english_left(text, german_invoice, note.number, german_invoice.number) == []
    mail = Notification.objects.get(kind="credit_note_issued")
    assert mail.language == "de" and mail.subject.startswith(f"Gutschrift {note.number}")

    _switch_to_french(german_invoice)
    with translation.override("fr"):
        again = credit_note_pdf_build(CreditNote.objects.get(pk=note.pk))
    assert again.sha256 == note.pdf_sha256
