"""Invoice and credit-note PDFs for a download: the document the worker stored, never one rendered
in the request.

Rendering takes WeasyPrint seconds of CPU; a page answers in milliseconds. So a download serves
the stored PDF when it is there, and otherwise says the document is being prepared, making sure
a worker task is queued for it (a lost task is queued again by the next ask; the periodic
follow-up dispatcher does the same for invoices flagged `followup_due`). When the worker's last
attempt failed, the person is told the document could not be prepared and an admin is alerted
(the download's own failure reason, beside the worker's).
"""

from onboarding.alerts.failures import failure_reported
from onboarding.billing import tasks
from onboarding.billing.documents import invoice_pdf_outdated, pdf_read
from onboarding.billing.followups import CREDIT_NOTE_PDF_FAILED, INVOICE_PDF_FAILED
from onboarding.billing.models import CreditNote, CreditNoteStatus, Invoice, InvoiceStatus
from onboarding.billing.selectors import document_render_failed
from onboarding.worker.services import task_enqueue_once

BEING_PREPARED = (
    "Your document is being prepared. This page updates by itself when it is ready; it usually "
    "takes a few seconds."
)


class DocumentNotPrepared(Exception):
    """The worker tried to render the document and failed; its retry is queued."""


def invoice_pdf_ready(invoice: Invoice) -> bool:
    """True when the stored PDF is the one to serve (there is one, and it is not missing the
    "Paid" mark the invoice has earned since)."""
    return bool(invoice.pdf_path) and not invoice_pdf_outdated(invoice)


def _invoice_follow_up_key(invoice_id: int) -> str:
    # The key subscription_bill_task queues the first follow-up under: one task at a time.
    return f"invoice-follow-up:{invoice_id}"


def _credit_note_follow_up_key(credit_note_id: int) -> str:
    return f"credit-note-follow-up:{credit_note_id}"


@failure_reported(INVOICE_PDF_FAILED, target="invoice")
def invoice_pdf_stored(*, invoice: Invoice, actor) -> bytes | None:
    """The invoice's stored PDF, or None while a worker prepares it (queued here if no task is
    waiting). A failed rendering, or a stored file that cannot be read, is a reported failure."""
    if invoice_pdf_ready(invoice):
        return pdf_read(invoice.pdf_path)
    if invoice.status == InvoiceStatus.DRAFT:
        raise DocumentNotPrepared(f"invoice {invoice.pk} is a draft: it has no document")
    key = _invoice_follow_up_key(invoice.pk)
    # The version wanted now: the first one since it was issued, the "Paid" one since it was paid.
    since = invoice.paid_at if invoice.pdf_path else (invoice.finalized_at or invoice.created_at)
    failed = document_render_failed(
        task_key=key, alert_reason="invoice_follow_up_failed", target=invoice, since=since
    )
    # The follow-ups task reports its own failure (an alert on the invoice, read above).
    task_enqueue_once(tasks.invoice_follow_ups_task, key=key, kwargs={"invoice_ids": [invoice.pk]})
    if failed:
        raise DocumentNotPrepared(f"the worker could not render the PDF of invoice {invoice.pk}")
    return None


@failure_reported(CREDIT_NOTE_PDF_FAILED, target="credit_note")
def credit_note_pdf_stored(*, credit_note: CreditNote, actor) -> bytes | None:
    """The credit note's stored PDF, or None while a worker prepares it (see invoice_pdf_stored)."""
    if credit_note.pdf_path:
        return pdf_read(credit_note.pdf_path)
    if credit_note.status != CreditNoteStatus.ISSUED:
        raise DocumentNotPrepared(f"credit note {credit_note.pk} is not issued: no document")
    key = _credit_note_follow_up_key(credit_note.pk)
    failed = document_render_failed(task_key=key, target=credit_note, since=credit_note.issued_at)
    task_enqueue_once(
        tasks.credit_note_follow_up_task, key=key, kwargs={"credit_note_id": credit_note.pk}
    )
    if failed:
        raise DocumentNotPrepared(f"the worker could not render credit note {credit_note.pk}")
    return None
