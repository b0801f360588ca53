"""When the next dunning retry of a failed invoice goes, by the decline and the customer's habits
(`dunning_after_failure`, called by charging.py for every failed attempt).

- A hard decline (payments/declines.py: lost, stolen, expired, closed card) books no retry: the
  invoice waits for a new card (charging.py marks it `retry_stopped`, dunning.py retries it as
  soon as the card is on file).
- A soft decline keeps the schedule's day (settings.BILLING_DUNNING_DAYS, counted from the first
  failure) but moves the retry to the hour of day (UTC) at which the customer's payments usually
  succeed: the most frequent hour among their last PREFERRED_HOUR_SAMPLE successful payments of
  the last PREFERRED_HOUR_LOOKBACK_DAYS days, a tie going to the most recent. The retry goes at
  that hour, on the minute, on the schedule's (UTC) day; if that moment is already past, at the
  schedule's own time. A customer with no successful payment keeps the schedule's time.

The day never moves: the schedule's promises (the customer's notice names the day, the last day
makes the invoice uncollectible) stay true.
"""

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from django.conf import settings

from onboarding.billing.models import AttemptSource, Invoice, InvoiceStatus, RetryStop
from onboarding.payments.declines import is_hard_decline
from onboarding.payments.models import PaymentAttempt, PaymentStatus

PREFERRED_HOUR_SAMPLE = 5
PREFERRED_HOUR_LOOKBACK_DAYS = 365


def is_hard(code: str) -> bool:
    """Whether a failed attempt's code stops the retries (payments' classification)."""
    return is_hard_decline(code)


def preferred_hours(*, customer_ids: set[int], now: datetime) -> dict[int, int]:
    """Each customer's usual hour of successful payment (UTC, 0 to 23); absent when unknown.
    One query for all of them."""
    if not customer_ids:
        return {}
    recent: dict[int, list[datetime]] = defaultdict(list)
    rows = (
        PaymentAttempt.objects.filter(
            customer_id__in=customer_ids,
            status=PaymentStatus.SUCCEEDED,
            created_at__gte=now - timedelta(days=PREFERRED_HOUR_LOOKBACK_DAYS),
            created_at__lte=now,
        )
        .order_by("customer_id", "-created_at", "-pk")
        .values_list("customer_id", "created_at")
    )
    for customer_id, created_at in rows:
        if len(recent[customer_id]) < PREFERRED_HOUR_SAMPLE:
            recent[customer_id].append(created_at)
    return {customer_id: usual_hour(times) for customer_id, times in recent.items() if times}


def usual_hour(times: list[datetime]) -> int:
    """The most frequent UTC hour of `times` (newest first); a tie goes to the most recent."""
    hours = [moment.astimezone(UTC).hour for moment in times]
    counts = Counter(hours)
    best = max(counts.values())
    return next(hour for hour in hours if counts[hour] == best)


def retry_time(*, scheduled: datetime, hour: int | None, now: datetime) -> datetime:
    """The retry moment on the schedule's day: at `hour` (UTC) when known and still ahead of
    `now`, else `scheduled` itself."""
    if hour is None:
        return scheduled
    utc_scheduled = scheduled.astimezone(UTC)
    moved = utc_scheduled.replace(hour=hour, minute=0, second=0, microsecond=0)
    return moved if moved > now else scheduled


def dunning_days() -> list[int]:
    return [int(days) for days in settings.BILLING_DUNNING_DAYS]


def dunning_after_failure(
    invoice: Invoice, now: datetime, *, hard: bool, hour: int | None, held: bool = False
) -> None:
    """Schedule the next retry after a failed attempt (at the customer's usual hour, `hour`, on
    the schedule's day), stop retrying after a hard decline, or give up: uncollectible, unless
    the customer's dunning is `held` (dunning_holds.py): then a manager decides. Runs on the
    invoice locked by charging.outcomes_apply."""
    schedule = dunning_days()
    not_dunning = False
    if invoice.first_failed_at is None:
        invoice.first_failed_at = now
    elif invoice.attempt_source == AttemptSource.RETRY:
        invoice.dunning_retries += 1
    else:
        not_dunning = True  # the customer's own attempt, or one on their new card
    if hard:
        # The card can never work: no retry until a new card is on file (dunning.py).
        invoice.next_retry_at, invoice.retry_stopped = None, RetryStop.HARD_DECLINE
        return
    invoice.retry_stopped = RetryStop.NONE
    if invoice.status != InvoiceStatus.OPEN:
        # Uncollectible (the customer's own attempt, or one on their new card): dunning is
        # over for it and books nothing (retry_due takes open invoices only).
        invoice.next_retry_at = None
        return
    if not_dunning and invoice.next_retry_at is not None:
        return  # the schedule goes on as it was
    if invoice.dunning_retries < len(schedule):
        scheduled = invoice.first_failed_at + timedelta(days=schedule[invoice.dunning_retries])
        invoice.next_retry_at = retry_time(scheduled=scheduled, hour=hour, now=now)
        return
    invoice.next_retry_at = None
    if held:
        invoice.retry_stopped = RetryStop.MANAGER_DECISION
    else:
        invoice.move_to(InvoiceStatus.UNCOLLECTIBLE)
        invoice.uncollectible_at = now
