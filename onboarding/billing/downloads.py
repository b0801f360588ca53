"""Invoice and credit-note PDFs for a download: the document the worker stored, never one rendered
in the request. The bounded "being prepared" rule lives here; the certificate of acceptance
(contracts/certificates.py) follows it too.

Rendering takes WeasyPrint seconds of CPU; a page answers in milliseconds. So a download serves
the stored PDF when it is there, and otherwise says the document is being prepared, making sure
a worker task is queued for it (a lost task is queued again by the next ask). The page asks
again every few seconds, within bounds (document_prepare):

- the worker's last attempt failed: the ask never renders nor queues at once; a task is queued
  again only once the failure is BACKOFF old (doubling with each failure recorded), so a
  rendering that keeps failing is tried at the worker's pace, not at every poll or click;
- failed, or waiting longer than DOCUMENT_PREPARE_WAIT_SECONDS (the worker is down or far
  behind): the person is told what happened and what to do, the page stops asking (the poll is
  sent back to the page the message is on), and an admin is alerted once (one unresolved alert
  per document, not one per ask).

Nothing is deleted on the way: the failed task keeps its traceback, the alerts stay open.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop
from django_tasks import TaskResultStatus
from django_tasks.base import Task
from django_tasks_db.models import get_date_max

from onboarding.alerts.failures import (
    FailureNotice,
    ServiceUnavailable,
    failure_reported,
    report_failure,
)
from onboarding.alerts.models import AdminAlert
from onboarding.billing import tasks
from onboarding.billing.documents import invoice_pdf_outdated, pdf_read
from onboarding.billing.followups import CREDIT_NOTE_PDF_FAILED, INVOICE_PDF_FAILED
from onboarding.billing.models import CreditNote, CreditNoteStatus, Invoice, InvoiceStatus
from onboarding.core.backoff import backoff_seconds
from onboarding.worker.models import TaskKey
from onboarding.worker.services import UNFINISHED, task_enqueue_once

# Marked only: the page translates it when shown (views.py); the API answers in English.
BEING_PREPARED = gettext_noop(
    "Your document is being prepared. This page updates by itself when it is ready; it usually "
    "takes a few seconds."
)
DOCUMENT_DELAYED = FailureNotice(
    "document_delayed",
    gettext_lazy(
        "Preparing your document is taking much longer than it should. Our team has been alerted "
        "and is looking into it; please try again in a little while."
    ),
)
# How long a document may wait for the worker before the page stops asking and an admin is told.
DEFAULT_WAIT_SECONDS = 120


class DocumentNotPrepared(Exception):
    """There is no document to prepare (a draft, a credit note not issued): a fault of ours."""


@dataclass(frozen=True)
class RenderWork:
    """The worker's task that renders one document, and how its failures are recorded."""

    task: Task
    key: str  # task_enqueue_once's key: one task at a time per document
    kwargs: dict[str, Any]
    # The alert the worker raises itself when rendering fails (a task that catches its errors),
    # about `failure_target`; "" when the task raises and the worker retries it instead.
    failure_reason: str = ""
    failure_target: Model | None = None


def wait_limit() -> timedelta:
    return timedelta(
        seconds=getattr(settings, "DOCUMENT_PREPARE_WAIT_SECONDS", DEFAULT_WAIT_SECONDS)
    )


def _unresolved_alert(*, reason: str, target: Model, since: datetime | None) -> AdminAlert | None:
    alerts = AdminAlert.objects.unresolved().filter(
        reason=reason, object_type=target._meta.label_lower, object_id=str(target.pk)
    )
    if since is not None:
        alerts = alerts.filter(last_seen_at__gte=since)
    return alerts.order_by("-last_seen_at").first()


def _alert_once(*, notice: FailureNotice, target: Model, detail: str) -> None:
    """One unresolved alert per document and reason: the first ask raises it, later asks (the
    page's polls, the person's clicks) do not add to it."""
    if _unresolved_alert(reason=notice.reason, target=target, since=None) is None:
        report_failure(
            reason=notice.reason,
            user_message=notice.message,
            error=DocumentNotPrepared(detail),
            target=target,
            customer_id=getattr(target, "customer_id", None),
            context={"document": str(target)},
            # Races between asks, or an ask after the window, count on the open alert.
            until_resolved=True,
        )


def _run_after(result) -> datetime | None:
    # The database backend stores "no run_after" as the latest date it can hold.
    return None if result.run_after in (None, get_date_max()) else result.run_after


def _failure(
    work: RenderWork, result, since: datetime | None, now: datetime
) -> tuple[int, datetime] | None:
    """(failures recorded, when the last one was) when the worker's last attempt at the
    document wanted since `since` failed; None when it did not (or has not tried yet)."""
    if result is not None and (since is None or result.enqueued_at >= since):
        waiting = result.status == TaskResultStatus.READY
        # A retry waiting after an error, or a task queued again to run after its backoff.
        retrying = waiting and (
            bool(result.exception_class_path) or (_run_after(result) or now) > now
        )
        if retrying or result.status == TaskResultStatus.FAILED:
            return max(1, len(result.worker_ids)), result.finished_at or now
    if work.failure_reason and work.failure_target is not None:
        alert = _unresolved_alert(
            reason=work.failure_reason, target=work.failure_target, since=since
        )
        if alert is not None:
            return alert.count, alert.last_seen_at
    return None


def retry_delay(failures: int) -> timedelta:
    """How long after its `failures`-th failure a document is tried again (no jitter: the
    same document's asks must agree)."""
    return timedelta(
        seconds=backoff_seconds(
            failures,
            base=settings.TASK_RETRY_BASE_SECONDS,
            cap=settings.TASK_RETRY_MAX_SECONDS,
            jitter=False,
        )
    )


def document_prepare(
    *, work: RenderWork, target: Model, since: datetime | None, failed: FailureNotice
) -> None:
    """Make sure the worker will prepare `target`'s document, within bounds (module docstring).

    Returns while it is being prepared; raises ServiceUnavailable with `failed`'s message when
    the worker's last attempt failed, or DOCUMENT_DELAYED's when it has waited too long (each
    alerted once). Two or three indexed queries; never renders.
    """
    queued = TaskKey.objects.select_related("task_result").filter(key=work.key).first()
    result = queued.task_result if queued is not None else None
    unfinished = result is not None and result.status in UNFINISHED
    now = timezone.now()
    failure = _failure(work, result, since, now)
    if failure is not None:
        failures, last_failed_at = failure
        if not unfinished:  # no retry waiting: queue one, to run once the backoff has passed
            run_after = max(now, last_failed_at + retry_delay(failures))
            task_enqueue_once(work.task, key=work.key, kwargs=work.kwargs, run_after=run_after)
        _alert_once(notice=failed, target=target, detail=f"{work.key}: the rendering failed")
        raise ServiceUnavailable(failed.message)
    if not unfinished:  # the first ask, or the task was lost
        task_enqueue_once(work.task, key=work.key, kwargs=work.kwargs)
        return
    waiting_since = max(result.enqueued_at, _run_after(result) or result.enqueued_at)
    if now - waiting_since > wait_limit():
        _alert_once(
            notice=DOCUMENT_DELAYED,
            target=target,
            detail=f"{work.key}: waiting for a worker since {waiting_since.isoformat()}",
        )
        raise ServiceUnavailable(DOCUMENT_DELAYED.message)


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
    """The invoice's stored PDF, or None while a worker prepares it (document_prepare). A failed
    rendering, a wait past the limit, or a stored file that cannot be read is a reported
    failure."""
    if invoice_pdf_ready(invoice):
        return pdf_read(invoice.pdf_path, sha256=invoice.pdf_sha256)
    if invoice.status == InvoiceStatus.DRAFT:
        raise DocumentNotPrepared(f"invoice {invoice.pk} is a draft: it has no document")
    # The version wanted now: the first one since it was issued, the "Paid" one since it was paid.
    since = invoice.paid_at if invoice.pdf_path else (invoice.finalized_at or invoice.created_at)
    work = RenderWork(
        task=tasks.invoice_follow_ups_task,
        key=_invoice_follow_up_key(invoice.pk),
        kwargs={"invoice_ids": [invoice.pk]},
        # The follow-ups task reports its own failure (an alert on the invoice) and succeeds.
        failure_reason="invoice_follow_up_failed",
        failure_target=invoice,
    )
    document_prepare(work=work, target=invoice, since=since, failed=INVOICE_PDF_FAILED)
    return None


@failure_reported(CREDIT_NOTE_PDF_FAILED, target="credit_note")
def credit_note_pdf_stored(*, credit_note: CreditNote, actor) -> bytes | None:
    """The credit note's stored PDF, or None while a worker prepares it (see invoice_pdf_stored)."""
    if credit_note.pdf_path:
        return pdf_read(credit_note.pdf_path, sha256=credit_note.pdf_sha256)
    if credit_note.status != CreditNoteStatus.ISSUED:
        raise DocumentNotPrepared(f"credit note {credit_note.pk} is not issued: no document")
    work = RenderWork(
        task=tasks.credit_note_follow_up_task,
        key=_credit_note_follow_up_key(credit_note.pk),
        kwargs={"credit_note_id": credit_note.pk},
    )
    document_prepare(
        work=work, target=credit_note, since=credit_note.issued_at, failed=CREDIT_NOTE_PDF_FAILED
    )
    return None
