"""Reminders instead of retries for invoices waiting for the customer's authentication (SCA).

Run with the dunning pass (tasks.invoice_retries_task): on each of dunning's days
(settings.BILLING_DUNNING_DAYS, from the first failure or wait) an open invoice still "action
required" gets a reminder (its follow-up sends it: followups.py), never a charge; on the last
day it is uncollectible, its subscription past due, and its follow-up tells the customer and
raises the seed's "payment incomplete" admin alert. The customer can still confirm it then. A
renewal of a customer with a dunning hold waits for a manager's decision instead (dunning_holds).
"""

from datetime import datetime, timedelta

from django.db import transaction

from onboarding.audit.bulk import audit_rows_write
from onboarding.billing import events
from onboarding.billing.charging import invoices_give_up
from onboarding.billing.dunning_holds import invoices_hold_at_schedule_end
from onboarding.billing.models import Invoice, InvoiceStatus, PaymentState
from onboarding.billing.retry_timing import dunning_days
from onboarding.core import clock

GAVE_UP_BECAUSE = "the customer never confirmed the payment with their bank by the end of dunning"


def invoice_action_reminders_run(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Remind, on dunning's days, every open invoice still waiting for the customer's
    confirmation; past the last day it is uncollectible. Returns how many moved."""
    now = now or clock.now()
    schedule = dunning_days()
    with transaction.atomic():
        invoices = list(
            Invoice.objects.select_for_update(skip_locked=True)
            .filter(
                clock.customer_scope("customer"),
                status=InvoiceStatus.OPEN,
                payment_state=PaymentState.ACTION_REQUIRED,
                next_retry_at__lte=now,
            )
            .order_by("next_retry_at", "pk")[:batch_size]
        )
        rows, ended = [], []
        for invoice in invoices:
            invoice.dunning_retries += 1
            invoice.followup_due = True  # the follow-up sends the reminder (or the last notice)
            if invoice.dunning_retries < len(schedule) and invoice.first_failed_at:
                invoice.next_retry_at = invoice.first_failed_at + timedelta(
                    days=schedule[invoice.dunning_retries]
                )
            else:
                invoice.next_retry_at = None
                ended.append(invoice)
            invoice.save(update_fields=["dunning_retries", "next_retry_at", "followup_due"])
            rows.append(events.invoice_action_reminded_row(invoice=invoice))
        audit_rows_write(rows)
        # A customer whose service is in trouble waits for a manager, as a declined renewal does
        # (dunning_holds.py); the manager's extension brings it back here for one more reminder.
        invoices_give_up(invoices_hold_at_schedule_end(ended), now=now, because=GAVE_UP_BECAUSE)
    return len(invoices)
