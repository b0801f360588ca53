"""One step of a test clock: the periodic jobs at the clock's moment, for its customers only.

Each job body is the one settings.WORKER_PERIODIC_TASKS runs in real time; inside
clock.simulated() `clock.now()` is the step's moment and every due-selector is narrowed by
clock.customer_scope() to this clock's customers. What they queue lands on the clock's own task
queue (worker/services.py) and what they publish carries the clock's stamp (the relay hands it
over at the same moment), so `clock_drain` can finish the step's work before the next step:
nothing queued under the clock ever runs later with the real time.
"""

import os
from datetime import datetime, timedelta

from django.conf import settings

from onboarding.acceptance import timers
from onboarding.acceptance.models import Timer, TimerState
from onboarding.billing import action_reminders, billrun, dunning, missing
from onboarding.billing import tasks as billing_tasks
from onboarding.billing.models import LIVE_STATUSES, Invoice, Subscription
from onboarding.contracts import issuing, lifecycle
from onboarding.contracts.models import IN_FORCE_STATES, Contract
from onboarding.core import clock
from onboarding.health import follow, reviews
from onboarding.health.models import CustomerHealth, HealthReview, ReviewState
from onboarding.notifications.relay import relay_drain
from onboarding.payments import methods, reconcile
from onboarding.sla import watch
from onboarding.sla.models import SlaClock
from onboarding.worker.runner import queue_run_ready
from onboarding.worker.services import heartbeat_beat, heartbeat_remove

# Rounds of relay-then-queue in one drain: work begets work (a paid invoice -> its contract ->
# its document -> its delivery); a chain longer than this is a loop, and fails the advance.
DRAIN_ROUNDS = 25


class DrainUnfinished(Exception):
    """Work kept coming after DRAIN_ROUNDS rounds of one step."""


def clock_jobs_run(*, at: datetime) -> None:
    """The periodic jobs' bodies, in the order a day of the real worker runs them."""
    billrun.bill_run_execute(run_date=at.date())
    dunning.invoice_retries_run(now=at)
    action_reminders.invoice_action_reminders_run(now=at)
    missing.invoices_missing_reconcile(now=at)
    billing_tasks.follow_ups_dispatch(now=at)
    billing_tasks.credit_notes_resume(now=at)
    reconcile.payment_reconcile_unknown(now=at)
    methods.cards_remind_expiring(today=at.date())
    issuing.contracts_issue_missing()
    lifecycle.contracts_lifecycle_advance(now=at)
    timers.timers_fire_due(now=at)
    watch.sla_clocks_check(now=at)
    follow.health_reviews_due(now=at)
    reviews.health_reviews_unacknowledged_fire(now=at)


def clock_drain(*, clock_id: int, at: datetime) -> int:
    """Relay what is due and run the clock's queued tasks at `at`, until both are empty;
    returns how many tasks ran. Call it inside clock.simulated(clock_id, at)."""
    worker_id = f"testclock-{clock_id}-{os.getpid()}-{os.urandom(3).hex()}"
    queue = f"{clock.QUEUE_PREFIX}{clock_id}"
    # The reaper gives back RUNNING tasks of workers without a heartbeat: this one has one.
    heartbeat_beat(worker_id=worker_id, hostname="test-clock", pid=os.getpid(), started_at=at)
    ran = 0
    try:
        for _ in range(DRAIN_ROUNDS):
            relayed = relay_drain(worker_id=worker_id).claimed
            done = queue_run_ready(queue_name=queue, now=at, worker_id=worker_id)
            ran += done
            if not relayed and not done:
                return ran
        raise DrainUnfinished(f"work was still coming after {DRAIN_ROUNDS} rounds at {at}")
    finally:
        heartbeat_remove(worker_id=worker_id)


def next_deadline(*, clock_id: int, after: datetime) -> datetime | None:
    """The clock's next due moment after `after` (an acceptance deadline, a renewal, a dunning
    retry, a contract's end or expiry reminder, a request clock's 80% warning or deadline, a
    health score's review_at, an open health review's acknowledgement deadline): a step stops
    there, so what is due at 10:00 happens at 10:00 and not at the next day's step."""
    mine = {"customer__test_clock_id": clock_id}
    moments = [
        Timer.objects.filter(
            state=TimerState.PENDING, contract__customer__test_clock_id=clock_id, due_at__gt=after
        )
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first(),
        Subscription.objects.filter(**mine, status__in=LIVE_STATUSES, next_invoice_at__gt=after)
        .order_by("next_invoice_at")
        .values_list("next_invoice_at", flat=True)
        .first(),
        Invoice.objects.filter(**mine, next_retry_at__gt=after)
        .order_by("next_retry_at")
        .values_list("next_retry_at", flat=True)
        .first(),
        SlaClock.objects.running()
        .filter(**mine, warned_at__isnull=True, breached_at__isnull=True, warn_at__gt=after)
        .order_by("warn_at")
        .values_list("warn_at", flat=True)
        .first(),
        SlaClock.objects.running()
        .filter(**mine, breached_at__isnull=True, due_at__gt=after)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first(),
        # A factor that changes by time alone (a card expiring, an invoice falling overdue).
        CustomerHealth.objects.filter(**mine, review_at__gt=after)
        .order_by("review_at")
        .values_list("review_at", flat=True)
        .first(),
        # A fall into red nobody acknowledged: its timer fires at ack_due_at (health/reviews.py).
        HealthReview.objects.filter(
            **mine, state=ReviewState.OPEN, unacknowledged_at__isnull=True, ack_due_at__gt=after
        )
        .order_by("ack_due_at")
        .values_list("ack_due_at", flat=True)
        .first(),
    ]
    ends = Contract.objects.filter(**mine, state__in=IN_FORCE_STATES, term_end__gt=after)
    for term_end in ends.values_list("term_end", flat=True):
        for days in (0, *settings.CONTRACT_EXPIRY_REMINDER_DAYS):
            moment = term_end - timedelta(days=int(days))
            if moment > after:
                moments.append(moment)
    return min((m for m in moments if m is not None), default=None)


def clock_step(*, clock_id: int, at: datetime) -> None:
    """Run one step of clock `clock_id` at the moment `at`."""
    with clock.simulated(clock_id, at):
        clock_jobs_run(at=at)
        clock_drain(clock_id=clock_id, at=at)
