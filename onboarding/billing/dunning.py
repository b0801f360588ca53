"""Dunning: retrying failed invoices on the schedule in settings.BILLING_DUNNING_DAYS.

A failed first attempt schedules the first retry (charging.py); each failed retry schedules the
next, counted in days from the first failure; when the last one fails the invoice is
uncollectible and its subscription past due. Retries are claimed with SKIP LOCKED, reserved and
sent like every other attempt, so a crash or two workers never charge twice.
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from onboarding.billing.charging import Charge, Tally, charge_of, charges_run
from onboarding.billing.models import AttemptSource, Invoice, PaymentState
from onboarding.core.bulk import rows_update

_RESERVE_FIELDS = ["attempt_count", "attempt_source", "attempt_reserved_at", "payment_state"]


def _retries_reserve(*, now: datetime, batch_size: int) -> list[Charge]:
    with transaction.atomic():
        invoices = list(
            Invoice.objects.retry_due(now)
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
    """Retry every failed invoice whose next retry is due; returns what happened."""
    now = now or timezone.now()
    batch_size = batch_size or settings.BILLING_BATCH_SIZE
    total = Tally()
    while charges := _retries_reserve(now=now, batch_size=batch_size):
        total.add(charges_run(charges, now=now))
    return total
