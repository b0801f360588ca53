"""After an invoice changes, the workers produce what people see: the PDF, then the notices.

An invoice flagged `followup_due` gets, once each:
- its PDF (rendered outside any transaction, stored with its SHA-256);
- the issue notice, to the preferred inbox and by email with the PDF attached, audited
  "invoice.notified" (the seed's "Log notification"); when the first payment's outcome is
  already known it is told in the same notice, so a renewal paid at once is one message;
- otherwise, for each attempt whose outcome is known, a payment notice to the preferred inbox:
  a receipt, or why it failed and a request to update the card (after a hard decline, to add a
  new card, which is charged at once: dunning.py);
- on a failed payment, an admin alert ("payment_incomplete");
- while the bank asks the customer to confirm the payment (SCA, payment state "action
  required"), a notice to the preferred inbox and by email with the link to its confirmation
  page, again at each of dunning's reminders (action_reminders.py); when the last one went
  unanswered, the "payment_incomplete" alert.

Each notice has a dedupe key and the invoice records what it was told (issue_notified_at,
notified_attempt) in the transaction that queues it, so a follow-up run twice, or by two workers
at once, tells nobody twice. Credit notes get the same: PDF, then a notice with the PDF.

A follow-up that fails (a PDF that cannot be rendered) leaves the row due and counts the failure
on it (followup_failures); the dispatcher leaves the row alone until followup_not_before, which
backs off like the worker's retries (TASK_RETRY_BASE_SECONDS doubling per failure in a row,
capped at TASK_RETRY_MAX_SECONDS, with jitter). Nothing is dropped: past the cap it is tried at
the cap's pace for as long as it fails; a success clears both fields. The failures count on one
admin alert for as long as it is open ("invoice_follow_up_failed", until_resolved), which the
invoice's next successful follow-up resolves.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Model, Q
from django.urls import reverse
from django.utils.functional import Promise, lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from onboarding.alerts.failures import FailureNotice, report_failure
from onboarding.alerts.services import admin_alert_raise, admin_alerts_resolve_for
from onboarding.billing import events
from onboarding.billing.documents import (
    credit_note_pdf_build,
    invoice_pdf_build,
    invoice_pdf_outdated,
)
from onboarding.billing.models import (
    PAYMENT_FAILED,
    CreditNote,
    CreditNoteStatus,
    Invoice,
    InvoiceStatus,
    PaymentState,
    RetryStop,
)
from onboarding.core import clock
from onboarding.core.money import money_in_text
from onboarding.notifications.models import Channel, Notification
from onboarding.notifications.services import Attachment, notification_send
from onboarding.payments.models import PaymentAttempt, PaymentMethod
from onboarding.worker.models import task_retry_delay

logger = logging.getLogger(__name__)

PAID, FAILED = "paid", "failed"
DOCUMENT_FAILED = gettext_lazy(
    "The document could not be prepared because of a problem on our side; our team has been "
    "told. Please try again later."
)
INVOICE_PDF_FAILED = FailureNotice("invoice_pdf_failed", DOCUMENT_FAILED)
CREDIT_NOTE_PDF_FAILED = FailureNotice("credit_note_pdf_failed", DOCUMENT_FAILED)


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _channels_with_email(user) -> list[str]:
    """The preferred inbox, and email too: documents travel as attachments."""
    return list(dict.fromkeys([user.preferred_inbox, Channel.EMAIL]))


def _outcome_rides_with_issue_notice(user) -> bool:
    """Whether a payment's outcome already known at issue can be told in the issue notice. That
    notice also goes by email (the PDF), so only to someone whose preferred inbox is email: a
    customer who chose the in-app inbox hears of payments there, in a payment notice."""
    return user.preferred_inbox == Channel.EMAIL


# --- PDFs --------------------------------------------------------------------------------------


def invoice_pdf_ensure(*, invoice: Invoice) -> Invoice:
    """The invoice with its PDF stored (rendered now if it has none yet, or again once paid:
    the earlier version stays in storage, see documents.py)."""
    if invoice.status == InvoiceStatus.DRAFT:
        return invoice
    if invoice.pdf_path and not invoice_pdf_outdated(invoice):
        return invoice
    stored = invoice_pdf_build(invoice)
    now = clock.now()
    with transaction.atomic():
        taken = Invoice.objects.filter(pk=invoice.pk, pdf_path=invoice.pdf_path).update(
            pdf_path=stored.path, pdf_sha256=stored.sha256, pdf_generated_at=now
        )
        if taken:
            events.invoice_pdf_generated(invoice=invoice, stored=stored)
    if not taken:
        # Another worker stored the document first; the same bytes share one name, so ours is
        # removed only when it is a different file from the one now recorded.
        invoice.refresh_from_db(fields=["pdf_path", "pdf_sha256", "pdf_generated_at"])
        if stored.path != invoice.pdf_path:
            default_storage.delete(stored.path)
    else:
        invoice.pdf_path, invoice.pdf_sha256, invoice.pdf_generated_at = (
            stored.path,
            stored.sha256,
            now,
        )
    return invoice


def credit_note_pdf_ensure(*, credit_note: CreditNote) -> CreditNote:
    if credit_note.pdf_path or credit_note.status != CreditNoteStatus.ISSUED:
        return credit_note
    stored = credit_note_pdf_build(credit_note)
    now = clock.now()
    with transaction.atomic():
        taken = CreditNote.objects.filter(pk=credit_note.pk, pdf_path="").update(
            pdf_path=stored.path, pdf_sha256=stored.sha256, pdf_generated_at=now
        )
        if taken:
            events.credit_note_pdf_generated(credit_note=credit_note, stored=stored)
    credit_note.refresh_from_db(fields=["pdf_path", "pdf_sha256", "pdf_generated_at"])
    if not taken and stored.path != credit_note.pdf_path:
        default_storage.delete(stored.path)  # another worker's copy is the recorded one
    return credit_note


# --- Invoice notices ---------------------------------------------------------------------------


def _unnotified_outcome(invoice: Invoice) -> str | None:
    if invoice.attempt_count <= invoice.notified_attempt:
        return None
    if invoice.payment_state == PaymentState.SUCCEEDED:
        return PAID
    if invoice.payment_state in PAYMENT_FAILED:
        return FAILED
    return None


def _card_text(card: PaymentMethod) -> Promise:
    """The card as the receipt's reader reads it ("Visa •••• 4242 (gültig bis 12/2028)"):
    worded when notification_send renders the notice, in the notice's language."""
    return lazy(lambda: card.description, str)()


def _receipt(invoice: Invoice) -> dict | None:
    if invoice.paid_attempt_id is None:
        return None
    attempt = (
        PaymentAttempt.objects.select_related("payment_method")
        .filter(pk=invoice.paid_attempt_id)
        .first()
    )
    if attempt is None:
        return None
    return {
        "amount": attempt.amount,
        "paid_at": invoice.paid_at,
        "card": _card_text(attempt.payment_method) if attempt.payment_method else "",
        "reference": attempt.gateway_charge_id or attempt.idempotency_key,
    }


def _context(invoice: Invoice, outcome: str | None) -> dict:
    return {
        "invoice": invoice,
        "customer": invoice.customer,
        "plan": invoice.subscription.plan,
        "outcome": outcome,
        "receipt": _receipt(invoice) if outcome == PAID else None,
        "invoice_url": _absolute(reverse("billing:invoice", args=[invoice.pk])),
        "card_url": _absolute(reverse("payments:card")),
        "site_url": settings.SITE_URL,
    }


def _issue_notice(
    invoice: Invoice, outcome: str | None, *, outcome_told_in_app: bool = False
) -> None:
    user = invoice.customer.user
    # Lazy: written in the customer's language when the notice is (notification_send).
    subject = {
        PAID: gettext_lazy("Invoice {number}, {total} (paid)"),
        FAILED: gettext_lazy("Invoice {number}, {total}: payment did not go through"),
    }.get(outcome or "", gettext_lazy("Invoice {number}, {total}"))
    notification = notification_send(
        recipient=user,
        kind="invoice_issued",
        subject=format_lazy(
            subject,
            number=invoice.number,
            total=money_in_text(invoice.total, country=invoice.money_country),
        ),
        template="billing/email/invoice_issued",
        context={
            **_context(invoice, outcome),
            "outcome_told_in_app": outcome_told_in_app,
            "inbox_url": _absolute(reverse("notifications:inbox")),
        },
        dedupe_key=f"invoice-issued:{invoice.pk}",
        channels=_channels_with_email(user),
        language=invoice.language,  # the PDF's: the language the invoice was issued in
        attachments=[
            Attachment(
                filename=f"{invoice.number}.pdf",
                content_type="application/pdf",
                storage_path=invoice.pdf_path,
            )
        ],
    )
    events.invoice_notified(invoice=invoice, notification=notification)


def _payment_notice(invoice: Invoice, outcome: str) -> None:
    if outcome == PAID:
        kind, subject, key = (
            "payment_received",
            format_lazy(
                gettext_lazy("Payment received for invoice {number}"), number=invoice.number
            ),
            f"invoice-paid:{invoice.pk}",
        )
    else:
        failed = (
            gettext_lazy("Payment for invoice {number} did not go through: please add a new card")
            if invoice.retry_stopped == RetryStop.HARD_DECLINE
            else gettext_lazy("Payment for invoice {number} did not go through")
        )
        kind, subject, key = (
            "payment_failed",
            format_lazy(failed, number=invoice.number),
            f"invoice-payment-failed:{invoice.pk}:{invoice.attempt_count}",
        )
    notification = notification_send(
        recipient=invoice.customer.user,
        kind=kind,
        subject=subject,
        template=f"billing/email/{kind}",
        context=_context(invoice, outcome),
        dedupe_key=key,
    )
    events.invoice_payment_notified(invoice=invoice, notification=notification, outcome=outcome)


def _action_notice(invoice: Invoice) -> None:
    """Ask the customer to confirm the payment with their bank: the first time, at each
    reminder (a key per reminder), and when dunning ended. The link holds no secret: the page
    is only for the signed-in customer of the invoice."""
    key = f"invoice-action-required:{invoice.pk}:{invoice.attempt_count}:{invoice.dunning_retries}"
    if Notification.objects.filter(dedupe_key=key).exists():
        return
    user = invoice.customer.user
    final = invoice.status == InvoiceStatus.UNCOLLECTIBLE
    notification = notification_send(
        recipient=user,
        kind="payment_action_required",
        subject=format_lazy(
            gettext_lazy("Invoice {number} is overdue: confirm the payment with your bank")
            if final
            else gettext_lazy("Action required: confirm the payment for invoice {number}"),
            number=invoice.number,
        ),
        template="billing/email/payment_action_required",
        context={
            **_context(invoice, None),
            "final": final,
            "confirm_url": _absolute(reverse("billing:invoice_confirm", args=[invoice.pk])),
        },
        dedupe_key=key,
        channels=_channels_with_email(user),
    )
    events.invoice_action_notified(invoice=invoice, notification=notification)


def _payment_incomplete_alert(invoice: Invoice) -> None:
    if invoice.payment_state == PaymentState.ACTION_REQUIRED:
        what = "the customer never confirmed it with their bank: the invoice is uncollectible"
        severity = "error"
    elif invoice.status == InvoiceStatus.UNCOLLECTIBLE:
        what, severity = "every retry failed: the invoice is uncollectible", "error"
    elif invoice.retry_stopped == RetryStop.HARD_DECLINE:
        what = "a hard decline: no retry until the customer adds a new card, who has been asked"
        severity = "warning"
    elif invoice.retry_stopped == RetryStop.MANAGER_DECISION:
        what = "dunning ended while the customer's service is on hold: a manager decides"
        severity = "warning"
    elif invoice.next_retry_at:
        what, severity = f"retrying on {invoice.next_retry_at:%Y-%m-%d}", "warning"
    else:
        what, severity = "no retry is scheduled", "warning"
    admin_alert_raise(
        reason="payment_incomplete",
        message=(
            f"Payment for invoice {invoice.number} ({invoice.total}, {invoice.bill_to_name}) did "
            f"not go through on attempt {invoice.attempt_count}: {invoice.last_payment_message} "
            f"({what})."
        ),
        target=invoice,
        customer_id=invoice.customer_id,
        context={
            "attempt": invoice.attempt_count,
            "code": invoice.last_payment_code,
            "payment_state": invoice.payment_state,
        },
        severity=severity,
    )


def _follow_up_backoff(model: type[Model], pk: int) -> None:
    """Count one more failed follow-up of the row and hold the next back for its backoff. Its own
    transaction, after the failed one: the count survives restarts and every worker sees it."""
    with transaction.atomic():
        failures = (
            model.objects.select_for_update(of=("self",))
            .filter(pk=pk)
            .values_list("followup_failures", flat=True)
            .first()
        )
        if failures is None:
            return
        model.objects.filter(pk=pk).update(
            followup_failures=failures + 1,
            followup_not_before=clock.now() + task_retry_delay(failures + 1),
        )


def _due(now: datetime | None) -> Q:
    """Rows that want a follow-up and are not waiting out a failure's backoff."""
    now = now or clock.now()
    return Q(followup_due=True) & (
        Q(followup_not_before__isnull=True) | Q(followup_not_before__lte=now)
    )


def invoice_follow_up(*, invoice_id: int) -> bool:
    """Produce whatever the invoice still owes people (PDF, notices, alert); True if any."""
    invoice = (
        Invoice.objects.select_related("customer__user", "subscription__plan__product")
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None or invoice.status == InvoiceStatus.DRAFT:
        return False
    had_pdf = bool(invoice.pdf_path)
    invoice_pdf_ensure(invoice=invoice)
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("customer__user", "subscription__plan__product")
            .get(pk=invoice_id)
        )
        outcome = _unnotified_outcome(invoice)
        told = invoice.issue_notified_at is None or outcome is not None
        if invoice.issue_notified_at is None:
            if outcome is None or _outcome_rides_with_issue_notice(invoice.customer.user):
                _issue_notice(invoice, outcome)
            else:
                _issue_notice(invoice, None, outcome_told_in_app=True)
                _payment_notice(invoice, outcome)
            invoice.issue_notified_at = clock.now()
        elif outcome is not None:
            _payment_notice(invoice, outcome)
        if outcome is not None:
            invoice.notified_attempt = invoice.attempt_count
        if outcome == FAILED:
            _payment_incomplete_alert(invoice)
        if invoice.payment_state == PaymentState.ACTION_REQUIRED:
            _action_notice(invoice)
            told = True
            if invoice.status == InvoiceStatus.UNCOLLECTIBLE:
                _payment_incomplete_alert(invoice)
        if invoice.followup_failures:
            admin_alerts_resolve_for(
                success="invoice_followed_up",
                customer_id=invoice.customer_id,
                target=invoice,
                because=f"invoice {invoice.number} was followed up at a later try",
            )
        if told or invoice.followup_due or invoice.followup_failures:
            invoice.followup_due = False
            invoice.followup_failures, invoice.followup_not_before = 0, None
            invoice.save(
                update_fields=[
                    "issue_notified_at",
                    "notified_attempt",
                    "followup_due",
                    "followup_failures",
                    "followup_not_before",
                ]
            )
    return told or not had_pdf


def invoice_follow_ups(*, invoice_ids: list[int]) -> int:
    """Follow up each invoice; one that fails is reported, and left for the dispatcher's pass
    once its backoff is over. (A single invoice_follow_up task raises instead: the worker
    retries it with its own backoff.)

    The failure is reported before its backoff is written: the backoff is a database write that
    can fail too, and the admin must hear of the failure whatever happens to it. Neither stops
    the loop: one bad invoice leaves the others to be followed up."""
    done = 0
    for invoice_id in invoice_ids:
        try:
            done += invoice_follow_up(invoice_id=invoice_id)
        except Exception as error:
            _follow_up_failed(invoice_id, error)
            _follow_up_backoff_or_report(Invoice, invoice_id)
    return done


def _failed_row(model: type[Model], pk: int) -> Model | None:
    """The row whose follow-up failed, for the alert; None when it cannot be read (the database
    may be what failed), so the report still goes out, naming the row in its message."""
    try:
        return model.objects.filter(pk=pk).first()
    except Exception:
        logger.exception("could not read %s %s for its failure report", model.__name__, pk)
        return None


def _follow_up_failed(invoice_id: int, error: Exception) -> None:
    invoice = _failed_row(Invoice, invoice_id)
    report_failure(
        reason="invoice_follow_up_failed",
        user_message=f"The PDF or notices of invoice {invoice_id} could not be produced",
        error=error,
        target=invoice,
        customer_id=invoice.customer_id if invoice else None,
        context={"invoice_id": invoice_id},
        # It fails at every try until someone fixes its cause: one open alert counts them all.
        until_resolved=True,
    )


def _follow_up_backoff_or_report(model: type[Model], pk: int) -> None:
    """_follow_up_backoff, its own failure reported instead of raised: without the backoff the row
    is tried again at the dispatcher's next pass, which admins must know of."""
    try:
        _follow_up_backoff(model, pk)
    except Exception as error:
        report_failure(
            reason="follow_up_backoff_failed",
            user_message=(
                f"The failed follow-up of {model._meta.verbose_name} {pk} could not be held back "
                "for its backoff; it is tried again at the next pass"
            ),
            error=error,
            target=_failed_row(model, pk),
            context={"id": pk},
            until_resolved=True,
        )


def follow_ups_due(*, limit: int = 5000, now: datetime | None = None) -> list[int]:
    """Invoices due a follow-up at `now`: flagged, and not waiting out a failure's backoff."""
    return list(
        Invoice.objects.filter(_due(now), clock.customer_scope("customer"))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


# --- Credit notes ------------------------------------------------------------------------------


def credit_note_follow_up(*, credit_note_id: int) -> bool:
    """The credit note's PDF, then its notice; a failure is counted (its backoff) and raised,
    so the worker retries the task as well."""
    try:
        return _credit_note_follow_up(credit_note_id)
    except Exception:
        # A backoff that cannot be written is reported, and the follow-up's own error is the one
        # raised to the worker (its traceback is what someone needs to fix).
        _follow_up_backoff_or_report(CreditNote, credit_note_id)
        raise


def _credit_note_follow_up(credit_note_id: int) -> bool:
    credit_note = (
        CreditNote.objects.select_related("invoice", "customer__user")
        .filter(pk=credit_note_id, status=CreditNoteStatus.ISSUED)
        .first()
    )
    if credit_note is None:
        return False
    credit_note_pdf_ensure(credit_note=credit_note)
    with transaction.atomic():
        credit_note = (
            CreditNote.objects.select_for_update(of=("self",))
            .select_related("invoice", "customer__user")
            .get(pk=credit_note_id)
        )
        cleared = ["followup_due", "followup_failures", "followup_not_before"]
        if credit_note.notified_at is not None:
            if credit_note.followup_due or credit_note.followup_failures:
                credit_note.followup_due, credit_note.followup_failures = False, 0
                credit_note.followup_not_before = None
                credit_note.save(update_fields=cleared)
            return False
        user = credit_note.customer.user
        notification = notification_send(
            recipient=user,
            kind="credit_note_issued",
            subject=format_lazy(
                gettext_lazy("Credit note {number}: {total} refunded"),
                number=credit_note.number,
                total=money_in_text(credit_note.total, country=credit_note.invoice.money_country),
            ),
            template="billing/email/credit_note_issued",
            language=credit_note.language,  # the PDF's
            context={
                "credit_note": credit_note,
                "invoice": credit_note.invoice,
                "customer": credit_note.customer,
                "invoice_url": _absolute(reverse("billing:invoice", args=[credit_note.invoice_id])),
                "site_url": settings.SITE_URL,
            },
            dedupe_key=f"credit-note-issued:{credit_note.pk}",
            channels=_channels_with_email(user),
            attachments=[
                Attachment(
                    filename=f"{credit_note.number}.pdf",
                    content_type="application/pdf",
                    storage_path=credit_note.pdf_path,
                )
            ],
        )
        events.credit_note_notified(credit_note=credit_note, notification=notification)
        credit_note.notified_at, credit_note.followup_due = clock.now(), False
        credit_note.followup_failures, credit_note.followup_not_before = 0, None
        credit_note.save(update_fields=["notified_at", *cleared])
    return True


def credit_note_follow_ups_due(*, limit: int = 500, now: datetime | None = None) -> list[int]:
    """Issued credit notes due a follow-up at `now` (not waiting out a failure's backoff)."""
    return list(
        CreditNote.objects.filter(
            _due(now), clock.customer_scope("customer"), status=CreditNoteStatus.ISSUED
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
