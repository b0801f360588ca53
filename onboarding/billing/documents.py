"""Invoice and credit-note PDFs: HTML templates a business can restyle, rendered by WeasyPrint.

The templates are billing/pdf/invoice.html, billing/pdf/credit_note.html and the stylesheet
billing/pdf/document.css. A copy under the project's templates/ directory overrides the one
shipped here. They get plain values only (dicts, strings, dates), never model instances, so a
template cannot walk from an invoice to a password hash. WeasyPrint may fetch data: URLs and
nothing else: a template cannot make the server read files or call other hosts.

A PDF is stored in the default storage under a name that carries its SHA-256, and the digest
is kept on the row, so anyone can check a stored document was not altered. An invoice paid after
its PDF was stored is rendered again with its "Paid" mark, under a name of its own
(`<number>-paid-<digest>.pdf`); the issued version stays in storage, named with its digest in
the audit log, because the issue email may still be carrying it.
"""

import hashlib
import threading
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import pgettext

from onboarding.billing.models import CreditNote, Invoice, InvoiceStatus
from onboarding.billing.selectors import invoice_paid_by
from onboarding.billing.taxes import TaxSummaryRow
from onboarding.core.money import Money, locale_for

_fonts = threading.local()


@dataclass(frozen=True)
class StoredPdf:
    path: str
    sha256: str
    size: int


def _seller(invoice: Invoice) -> dict:
    """The seller; its VAT number as frozen on the invoice (today's setting for an invoice
    issued before invoices recorded it)."""
    lines = [line.strip() for line in settings.BILLING_SELLER_ADDRESS.split("|")]
    return {
        "name": settings.BILLING_SELLER_NAME,
        "address_lines": [line for line in lines if line],
        "tax_id": invoice.seller_vat_number or settings.BILLING_SELLER_TAX_ID,
    }


def _tax_summary(rows: list[TaxSummaryRow], locale: str) -> list[dict]:
    return [
        {
            "label": row.label,
            "rate": row.rate_percent,
            "net": row.net.format(locale=locale),
            "tax": row.tax.format(locale=locale),
        }
        for row in rows
    ]


def document_locale(invoice: Invoice, language: str | None = None) -> str:
    """The locale a document's money is written in: the language it was issued in (the
    invoice's, or `language`: a credit note's) in the customer's country as frozen on the
    invoice (its tax country), so a later move or change of language never changes how a
    re-rendered PDF reads."""
    return locale_for(country=invoice.tax_country, language=language or invoice.language)


def _money(amount_minor: int, currency: str, locale: str) -> str:
    return Money(amount_minor, currency).format(locale=locale)


def _customer(invoice: Invoice) -> dict:
    return {
        "name": invoice.bill_to_name,
        "reference": invoice.customer_reference,
        "email": invoice.bill_to_email_line,
        "address_lines": invoice.bill_to_lines,
        "vat_number": invoice.bill_to_vat_number,
    }


def _shows_paid(invoice: Invoice) -> bool:
    return invoice.status == InvoiceStatus.PAID and invoice.paid_at is not None


def _payment(invoice: Invoice) -> dict | None:
    """The "Paid" mark's facts: the day and, when a card was charged, which card."""
    if not _shows_paid(invoice):
        return None
    attempt = invoice_paid_by(invoice=invoice)
    card = attempt.payment_method if attempt else None
    return {
        "date": timezone.localdate(invoice.paid_at),
        "method": f"{card.brand.title()} •••• {card.last4}" if card else "",
        "reference": (attempt.gateway_charge_id or "") if attempt else "",
    }


def invoice_context(invoice: Invoice) -> dict:
    """Everything an invoice template may show, as plain values; money as the customer's
    locale writes it, as on the invoice page."""
    currency = invoice.currency
    locale = document_locale(invoice)
    return {
        "seller": _seller(invoice),
        "invoice": {
            "number": invoice.number,
            "status": invoice.get_status_display(),
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "period_start": invoice.period_start.date(),
            "period_end": invoice.period_last_day,
            "currency": currency,
            "subtotal": _money(invoice.subtotal_minor, currency, locale),
            "tax_rate": invoice.tax_rate_percent,
            "tax_label": invoice.tax_label,
            "tax": _money(invoice.tax_minor, currency, locale),
            "total": _money(invoice.total_minor, currency, locale),
            "reverse_charge": invoice.reverse_charge,
            "tax_mention": invoice.tax_mention_text,
        },
        "tax_summary": _tax_summary(invoice.tax_summary, locale),
        "payment": _payment(invoice),
        "customer": _customer(invoice),
        "lines": [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit_amount": _money(line.unit_amount_minor, currency, locale),
                "amount": _money(line.amount_minor, currency, locale),
                "tax_rate": line.tax_rate_percent,
                "tax": _money(line.tax_minor, currency, locale),
            }
            for line in invoice.lines.all()
        ],
    }


def credit_note_context(credit_note: CreditNote) -> dict:
    invoice = credit_note.invoice
    currency = credit_note.currency
    locale = document_locale(invoice, credit_note.language)
    return {
        "seller": _seller(invoice),
        "credit_note": {
            "number": credit_note.number,
            "issue_date": credit_note.issue_date,
            "reason": credit_note.reason,
            "currency": currency,
            "subtotal": _money(credit_note.subtotal_minor, currency, locale),
            "tax_rate": invoice.tax_rate_percent,
            "tax": _money(credit_note.tax_minor, currency, locale),
            "total": _money(credit_note.total_minor, currency, locale),
            "reverse_charge": invoice.reverse_charge,
            "tax_mention": invoice.tax_mention_text,
        },
        "tax_summary": _tax_summary(credit_note.tax_summary, locale),
        "invoice": {
            "number": invoice.number,
            "issue_date": invoice.issue_date,
            "total": _money(invoice.total_minor, currency, locale),
        },
        "customer": _customer(invoice),
        "lines": [
            {
                "description": line.description,
                "amount": _money(line.amount_minor, currency, locale),
                "tax_rate": line.tax_rate_percent,
                "tax": _money(line.tax_minor, currency, locale),
            }
            for line in credit_note.lines.all()
        ],
    }


def pdf_render(*, template: str, context: dict, language: str = "en") -> bytes:
    """Render `template` (HTML) with the shared stylesheet to PDF bytes, in `language` (the one
    the document was issued in) whoever renders it."""
    # Imported here, not at the top: WeasyPrint takes about a second to import, and only the
    # processes that render documents (the workers) should pay for it, not every bill run.
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

    if not hasattr(_fonts, "config"):
        # Finding the fonts is a good part of a small document's cost: once per thread.
        _fonts.config = FontConfiguration()
    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=5)
    with translation.override(language):
        # The footer's "Page 1 of 2", in the document's language.
        context = {
            **context,
            "footer": {
                "page": pgettext("PDF footer: Page 1 of 2", "Page"),
                "of": pgettext("PDF footer: Page 1 of 2", "of"),
            },
        }
        html = render_to_string(template, context)
        css = render_to_string("billing/pdf/document.css", context)
    content = HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf(
        stylesheets=[CSS(string=css, url_fetcher=fetcher, font_config=_fonts.config)],
        font_config=_fonts.config,
        custom_metadata=False,
    )
    if not content.startswith(b"%PDF-"):
        raise RuntimeError(f"WeasyPrint did not produce a PDF from {template}")
    return content


def pdf_store(*, folder: str, stem: str, content: bytes) -> StoredPdf:
    """Save the PDF in the default storage under a name carrying its digest. A dot, not a dash,
    joins them: "CN-2026-000001-340d..." would read as the digit run 2026000001340, which can pass
    the Luhn check and be taken for a card number wherever the path is shown or logged."""
    digest = hashlib.sha256(content).hexdigest()
    name = f"{folder}/{stem}.{digest[:16]}.pdf"
    # The name is the content's: a second render of the same document (a retry, a worker that
    # stopped before recording the first) finds its file there and keeps it, instead of storing
    # a copy under a name the storage invents.
    if not _stored_as(name, digest):
        name = default_storage.save(name, ContentFile(content))
    return StoredPdf(path=name, sha256=digest, size=len(content))


def _stored_as(name: str, digest: str) -> bool:
    """True when `name` holds exactly these bytes (not a copy cut short by a stopped worker)."""
    if not default_storage.exists(name):
        return False
    with default_storage.open(name, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest() == digest


def _invoice_pdf_stem(invoice: Invoice, *, paid: bool) -> str:
    return f"{invoice.number}-paid" if paid else invoice.number


def invoice_pdf_outdated(invoice: Invoice) -> bool:
    """True when the stored PDF lacks the "Paid" mark the invoice has earned since. The name
    says which version it is, so a PDF rendered while the payment was still going through is
    found out however late it was stored."""
    if not invoice.pdf_path or not _shows_paid(invoice):
        return False
    paid_stem = _invoice_pdf_stem(invoice, paid=True)
    # Names stored before the dot came joined by a dash; two workers storing at once may leave
    # the storage's own suffix ("_a1B2c3D") after the stem.
    return not PurePosixPath(invoice.pdf_path).name.startswith(
        (f"{paid_stem}.", f"{paid_stem}-", f"{paid_stem}_")
    )


def invoice_pdf_build(invoice: Invoice) -> StoredPdf:
    with translation.override(invoice.language):  # the status's label, the card's brand
        context = invoice_context(invoice)
    content = pdf_render(
        template="billing/pdf/invoice.html", context=context, language=invoice.language
    )
    stem = _invoice_pdf_stem(invoice, paid=_shows_paid(invoice))
    return pdf_store(folder=f"invoices/{invoice.number_year}", stem=stem, content=content)


def credit_note_pdf_build(credit_note: CreditNote) -> StoredPdf:
    with translation.override(credit_note.language):
        context = credit_note_context(credit_note)
    content = pdf_render(
        template="billing/pdf/credit_note.html", context=context, language=credit_note.language
    )
    return pdf_store(
        folder=f"credit-notes/{credit_note.number_year}", stem=credit_note.number, content=content
    )


class StoredPdfDamaged(Exception):
    """The stored file is not the document that was recorded (cut short, overwritten)."""


def pdf_read(path: str, *, sha256: str = "") -> bytes:
    """The stored PDF's bytes, checked against the digest recorded with it when one is given:
    a damaged file is a failure to report, never a document to hand a customer."""
    with default_storage.open(path, "rb") as handle:
        content = handle.read()
    if sha256 and hashlib.sha256(content).hexdigest() != sha256:
        raise StoredPdfDamaged(f"{path} does not match the digest recorded when it was stored")
    return content
