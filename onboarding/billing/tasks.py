"""Background work for billing: thin wrappers around the billing services.

Periodic ones (settings.WORKER_PERIODIC_TASKS): the bill run, dunning retries, the missing-
invoice reconciliation and the follow-up dispatcher. Every body is idempotent (docs/worker.md).
"""

from datetime import date, datetime

from django_tasks import task

from onboarding.billing import action_reminders, billrun, dunning, followups, missing, refunds
from onboarding.core import clock
from onboarding.worker.services import task_enqueue_once

# Invoices are followed up in chunks of ids that share id // FOLLOW_UP_CHUNK, so a chunk keeps
# its key while it waits and is never queued twice.
FOLLOW_UP_CHUNK = 100


@task()
def bill_run_task(run_date: str | None = None) -> dict:
    """Periodic: invoice and charge everything due today (or on `run_date`, YYYY-MM-DD)."""
    day = date.fromisoformat(run_date) if run_date else clock.now().date()
    progress = billrun.bill_run_execute(run_date=day)
    return {"issued": progress.issued, "paid": progress.paid, "failed": progress.failed}


# Claimed before PDFs and notices (higher first): a purchase waits on its first charge.
@task(priority=50)
def subscription_bill_task(subscription_id: int) -> list[int]:
    """A subscription's first invoice, right after the purchase (and its charge)."""
    invoice_ids = billrun.subscription_bill_due(subscription_id=subscription_id)
    for invoice_id in invoice_ids:
        task_enqueue_once(
            invoice_follow_up_task,
            key=f"invoice-follow-up:{invoice_id}",
            kwargs={"invoice_id": invoice_id},
        )
    return invoice_ids


@task()
def invoice_retries_task() -> dict:
    """Periodic: dunning retries that are due, and reminders of payments waiting for the
    customer's confirmation (SCA) instead of retries."""
    tally = dunning.invoice_retries_run()
    reminded = action_reminders.invoice_action_reminders_run()
    return {
        "paid": tally.paid,
        "failed": tally.failed,
        "uncollectible": tally.uncollectible,
        "action_reminded": reminded,
    }


@task()
def invoices_missing_task() -> int:
    """Periodic: subscriptions whose period began without an invoice: alert and invoice them."""
    return missing.invoices_missing_reconcile()


@task()
def invoice_follow_up_task(invoice_id: int) -> bool:
    return followups.invoice_follow_up(invoice_id=invoice_id)


@task()
def invoice_follow_ups_task(invoice_ids: list[int]) -> int:
    return followups.invoice_follow_ups(invoice_ids=invoice_ids)


@task()
def credit_note_follow_up_task(credit_note_id: int) -> bool:
    return followups.credit_note_follow_up(credit_note_id=credit_note_id)


def follow_ups_dispatch(*, now: datetime | None = None) -> int:
    """Queue a follow-up task per chunk of invoices that are due one; returns chunks queued.

    An invoice or credit note whose last follow-up failed is left out until its backoff is over
    (followups.py), so a broken one is not queued again at every pass."""
    chunks: dict[int, list[int]] = {}
    for invoice_id in followups.follow_ups_due(now=now):
        chunks.setdefault(invoice_id // FOLLOW_UP_CHUNK, []).append(invoice_id)
    queued = 0
    for chunk, invoice_ids in chunks.items():
        queued += (
            task_enqueue_once(
                invoice_follow_ups_task,
                key=f"invoice-follow-ups:{chunk}",
                kwargs={"invoice_ids": invoice_ids},
            )
            is not None
        )
    for credit_note_id in followups.credit_note_follow_ups_due(now=now):
        task_enqueue_once(
            credit_note_follow_up_task,
            key=f"credit-note-follow-up:{credit_note_id}",
            kwargs={"credit_note_id": credit_note_id},
        )
    return queued


@task()
def follow_ups_dispatch_task() -> int:
    """Periodic: hand the invoices and credit notes that need a PDF or a notice to workers."""
    return follow_ups_dispatch()


def credit_notes_resume(*, now: datetime | None = None) -> list[int]:
    """Send again the refunds whose answer never came, with their own keys, and queue the
    follow-up of each credit note that got issued; returns their ids."""
    issued = refunds.credit_notes_draft_resume(now=now)
    for credit_note_id in issued:
        task_enqueue_once(
            credit_note_follow_up_task,
            key=f"credit-note-follow-up:{credit_note_id}",
            kwargs={"credit_note_id": credit_note_id},
        )
    return issued


@task()
def credit_notes_resume_task() -> list[int]:
    """Periodic: credit_notes_resume in real time."""
    return credit_notes_resume()
