"""The advance of a test clock (the background task's body, tasks.py): step by step to its
target, each step the periodic jobs at that moment for the clock's customers (stepping.py)."""

import logging
from datetime import timedelta

from django.db import transaction

from onboarding.accounts.models import TestClock, TestClockStatus
from onboarding.alerts.services import admin_alert_raise
from onboarding.testclocks import events, stepping

logger = logging.getLogger(__name__)

# The longest step: every due moment of a day is caught by the day's runs (the bill run
# invoices what falls due before the end of its day; reminders and retries are per day).
STEP = timedelta(days=1)


def clock_run(*, clock_id: int) -> TestClock:
    """The advance itself (the background task's body): step to the target, recording each
    step's moment; a failure stops the clock where it got to, failed, and alerts the admins."""
    test_clock = TestClock.objects.get(pk=clock_id)
    if test_clock.status != TestClockStatus.ADVANCING or test_clock.target_time is None:
        return test_clock
    started_from, steps = test_clock.frozen_time, 0
    try:
        while test_clock.frozen_time < test_clock.target_time:
            at = min(test_clock.frozen_time + STEP, test_clock.target_time)
            deadline = stepping.next_deadline(clock_id=test_clock.pk, after=test_clock.frozen_time)
            if deadline is not None:
                at = min(at, deadline)
            stepping.clock_step(clock_id=test_clock.pk, at=at)
            TestClock.objects.filter(pk=test_clock.pk).update(frozen_time=at)
            test_clock.frozen_time, steps = at, steps + 1
    except Exception as error:
        logger.exception("test clock advance failed", extra={"test_clock_id": test_clock.pk})
        return _clock_failed(test_clock, error)
    with transaction.atomic():
        test_clock.status = TestClockStatus.READY
        test_clock.save(update_fields=["status", "updated_at"])
        events.test_clock_advanced(test_clock=test_clock, started_from=started_from, steps=steps)
    return test_clock


def _clock_failed(test_clock: TestClock, error: Exception) -> TestClock:
    stopped = f"{test_clock.frozen_time:%Y-%m-%d %H:%M} UTC"
    message = (
        f"Test clock {test_clock.name!r} stopped at {stopped} on its way to "
        f"{test_clock.target_time:%Y-%m-%d %H:%M} UTC: {type(error).__name__}: {error}"
    )[:1800] + (
        f" Everything up to {stopped} stands; the step that failed is run again in full: fix "
        "the cause and advance again."
    )
    with transaction.atomic():
        test_clock.status, test_clock.failure = TestClockStatus.FAILED, message
        test_clock.save(update_fields=["status", "failure", "updated_at"])
        events.test_clock_failed(test_clock=test_clock, error=message)
        admin_alert_raise(
            reason="test_clock_failed",
            message=message,
            target=test_clock,
            context={"target": test_clock.target_time.isoformat()},
        )
    return test_clock
