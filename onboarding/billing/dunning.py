"""Dunning: retrying failed invoices on the schedule in settings.BILLING_DUNNING_DAYS.

A failed first attempt schedules the first retry (charging.py); each failed retry schedules the
next, counted in days from the first failure, at the customer's usual hour of payment
(retry_timing.py); when the last one fails the invoice is uncollectible and its subscription past
due. Retries are claimed with SKIP LOCKED, reserved and sent like every other attempt, so a
crash or two workers never charge twice.

A hard decline (a lost, stolen, expired or closed card) books no retry: the invoice waits, marked
`retry_stopped`, for a new card. When the customer replaces their card, or the card network
renews it (payments publishes `payment_method.changed`), every open invoice of theirs whose last
attempt failed is charged on it at once (`invoices_retry_on_new_card`). A hard-declined invoice
still unpaid when its schedule ends becomes uncollectible like any other
(`hard_declines_give_up`).
"""

import functools
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from onboarding.audit.bulk import audit_rows_write
from onboarding.billing import events
from onboarding.billing.charging import (
    Charge,
    Tally,
    attempt_reserve,
    charge_of,
    charges_run,
    invoices_give_up,
)
from onboarding.billing.dunning_holds import invoices_hold_at_schedule_end
from onboarding.billing.models import (
    PAYABLE_STATUSES,
    PAYMENT_FAILED,
    AttemptSource,
    Invoice,
    InvoiceStatus,
    PaymentState,
    RetryStop,
)
from onboarding.billing.retry_timing import dunning_days
from onboarding.core import clock
from onboarding.core.bulk import rows_update

_RESERVE_FIELDS = ["attempt_count", "attempt_source", "attempt_reserved_at", "payment_state"]


def _retries_reserve(*, now: datetime, batch_size: int) -> list[Charge]:
    with transaction.atomic():
        invoices = list(
            Invoice.objects.retry_due(now)
            .filter(clock.customer_scope("customer"))
            .select_for_update(skip_locked=True)
            .order_by("next_retry_at", "pk")[:batch_size]
        )
        for invoice in invoices:
            invoice.attempt_count += 1
            invoice.attempt_source = AttemptSource.RETRY
            invoice.attempt_reserved_at = now
            invoice.payment_state = PaymentState.PROCESSING
        rows_update(
            Invoice,
            _RESERVE_FIELDS,
            [
                (i.attempt_count, i.attempt_source, i.attempt_reserved_at, i.payment_state, i.pk)
                for i in invoices
            ],
        )
    return [charge_of(invoice) for invoice in invoices]


def invoice_retries_run(*, now: datetime | None = None, batch_size: int | None = None) -> Tally:
    """Retry every failed invoice whose next retry is due, and give up on the hard-declined ones
    whose schedule has ended; returns what happened."""
    now = now or clock.now()
    batch_size = batch_size or settings.BILLING_BATCH_SIZE
    total = Tally()
    while charges := _retries_reserve(now=now, batch_size=batch_size):
        total.add(charges_run(charges, now=now))
    total.uncollectible += hard_declines_give_up(now=now)
    return total


def hard_declines_give_up(*, now: datetime) -> int:
    """Hard-declined invoices still waiting for a new card when their dunning schedule ends are
    uncollectible (and their subscriptions past due), as if every retry had failed; returns how
    many."""
    last_day = max(dunning_days(), default=0)
    with transaction.atomic():
        invoices = list(
            Invoice.objects.select_for_update(skip_locked=True)
            .filter(
                clock.customer_scope("customer"),
                status=InvoiceStatus.OPEN,
                payment_state__in=PAYMENT_FAILED,
                retry_stopped=RetryStop.HARD_DECLINE,
                first_failed_at__lte=now - timedelta(days=last_day),
            )
            .order_by("pk")
        )
        # A customer whose service is in trouble waits for a manager instead (dunning_holds.py).
        given_up = invoices_hold_at_schedule_end(invoices)
        invoices_give_up(given_up, now=now)
    return len(given_up)


def invoices_retry_on_new_card(*, customer_id: int, now: datetime | None = None) -> list[Charge]:
    """The customer put a new card on file: reserve the next attempt of each of their open or
    uncollectible invoices whose last attempt failed (hard declines wait for exactly this),
    audited, and send them once the caller's transaction commits; paid, an uncollectible
    invoice's subscription is active again, as when the customer pays it. Returns the charges
    reserved."""
    now = now or clock.now()
    with transaction.atomic():
        invoices = list(
            Invoice.objects.select_for_update()
            .filter(
                customer_id=customer_id,
                status__in=PAYABLE_STATUSES,  # uncollectible too: still theirs to pay
                payment_state__in=PAYMENT_FAILED,
            )
            .order_by("pk")
        )
        rows = []
        for invoice in invoices:
            attempt_reserve(invoice=invoice, source=AttemptSource.NEW_CARD, now=now)
            rows.append(events.invoice_new_card_retry_row(invoice=invoice))
        audit_rows_write(rows)
        charges = [charge_of(invoice) for invoice in invoices]
        if charges:
            # Sent after commit: the reserved attempts must be committed before payments records
            # them. A crash in between leaves them PROCESSING, resumed by the next pass.
            transaction.on_commit(functools.partial(charges_run, charges), robust=True)
    return charges
