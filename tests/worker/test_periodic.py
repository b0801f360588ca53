"""Periodic tasks: each period is enqueued once, however many workers run the scheduler."""

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from onboarding.worker.models import PeriodicSlot
from onboarding.worker.runner import PeriodicScheduler, slot_start_for

PROBE = "onboarding.worker.tasks.tasks_reap_stale"
MOMENT = datetime(2026, 11, 25, 10, 0, 7, tzinfo=UTC)


def _scheduler(worker_id: str, periodic=None) -> PeriodicScheduler:
    return PeriodicScheduler(periodic_tasks=periodic or {PROBE: 5}, worker_id=worker_id)


def test_slots_are_aligned_so_every_worker_computes_the_same_one():
    assert slot_start_for(MOMENT, 5) == datetime(2026, 11, 25, 10, 0, 5, tzinfo=UTC)
    assert slot_start_for(MOMENT, 60) == datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)
    assert slot_start_for(MOMENT + timedelta(seconds=2), 5) == slot_start_for(MOMENT, 5)
    assert slot_start_for(MOMENT + timedelta(seconds=3), 5) != slot_start_for(MOMENT, 5)


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_ticking_at_once_enqueue_the_slot_once():
    """On SQLite the two slot transactions run one after another (IMMEDIATE takes the write lock
    when each begins), after both schedulers may have read that no run is waiting: that leg
    proves the unique (task, slot) row, not a lock, turns the second enqueue away. PostgreSQL
    adds truly parallel transactions."""
    schedulers = [_scheduler("worker-a"), _scheduler("worker-b")]
    barrier = threading.Barrier(len(schedulers))
    enqueued: list[int] = []
    errors: list[BaseException] = []

    def tick(scheduler: PeriodicScheduler) -> None:
        try:
            barrier.wait()
            enqueued.append(len(scheduler.tick(MOMENT)))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=tick, args=(s,)) for s in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert sorted(enqueued) == [0, 1]
    assert DBTaskResult.objects.filter(task_path=PROBE).count() == 1
    slot = PeriodicSlot.objects.get()
    assert slot.slot_start == slot_start_for(MOMENT, 5)
    assert slot.task_result_id == DBTaskResult.objects.get().pk


def test_the_same_slot_is_not_enqueued_twice(db):
    first, second = _scheduler("worker-a"), _scheduler("worker-b")

    assert len(first.tick(MOMENT)) == 1
    assert second.tick(MOMENT + timedelta(seconds=1)) == []
    assert first.tick(MOMENT + timedelta(seconds=2)) == []

    assert DBTaskResult.objects.count() == 1


def test_the_next_slot_is_enqueued_once_the_last_run_has_started(db):
    scheduler = _scheduler("worker-a")
    scheduler.tick(MOMENT)
    DBTaskResult.objects.update(status=TaskResultStatus.SUCCESSFUL)

    assert len(scheduler.tick(MOMENT + timedelta(seconds=5))) == 1

    assert PeriodicSlot.objects.count() == 2


def test_a_slot_is_skipped_while_the_last_run_still_waits_in_the_queue(db):
    scheduler = _scheduler("worker-a")
    scheduler.tick(MOMENT)

    assert scheduler.tick(MOMENT + timedelta(seconds=5)) == []

    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1


def test_an_unimportable_periodic_task_is_skipped_with_an_error(db, caplog):
    with caplog.at_level(logging.ERROR, logger="onboarding.worker"):
        scheduler = _scheduler("worker-a", {"onboarding.nowhere.tasks.nothing": 5, PROBE: 5})

    assert [path for path, _, _ in scheduler.entries] == [PROBE]
    assert "onboarding.nowhere.tasks.nothing" in caplog.text
    assert len(scheduler.tick(MOMENT)) == 1


def test_a_path_that_is_not_a_task_is_skipped(db, caplog):
    with caplog.at_level(logging.ERROR, logger="onboarding.worker"):
        scheduler = _scheduler("worker-a", {"onboarding.worker.runner.slot_start_for": 5})

    assert scheduler.entries == []
    assert "slot_start_for" in caplog.text
