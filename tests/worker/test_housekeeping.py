"""The scheduler's hourly tidy-up: old periodic slots, heartbeats of long-dead workers, and old
successful task results."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from onboarding.worker.models import PeriodicSlot, WorkerHeartbeat
from onboarding.worker.services import heartbeats_prune, periodic_slots_prune, task_results_prune
from tests.probes.tasks import worker_probe


def _heartbeat(worker_id: str, seen) -> None:
    WorkerHeartbeat.objects.create(worker_id=worker_id, started_at=seen, last_seen_at=seen)


def test_heartbeats_of_long_dead_idle_workers_are_forgotten(db):
    now = timezone.now()
    _heartbeat("long-dead", now - timedelta(days=2))
    _heartbeat("recently-dead", now - timedelta(minutes=5))

    assert heartbeats_prune(older_than=now - timedelta(days=1)) == 1

    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["recently-dead"]


def test_the_heartbeat_of_a_worker_that_still_holds_a_running_task_is_kept(db):
    now = timezone.now()
    _heartbeat("long-dead", now - timedelta(days=2))
    worker_probe.enqueue(key="held").db_result.claim("long-dead")

    assert heartbeats_prune(older_than=now - timedelta(days=1)) == 0


def test_old_periodic_slots_are_forgotten(db):
    now = timezone.now()
    PeriodicSlot.objects.create(task_path="a.b", slot_start=now - timedelta(days=2))
    PeriodicSlot.objects.create(task_path="a.b", slot_start=now)

    assert periodic_slots_prune(older_than=now - timedelta(days=1)) == 1

    assert PeriodicSlot.objects.get().slot_start == now


def test_old_successful_task_results_are_forgotten_failed_and_unfinished_ones_kept(db):
    now = timezone.now()
    old = now - timedelta(days=8)
    results = {}
    for name, status, finished in (
        ("old-success", TaskResultStatus.SUCCESSFUL, old),
        ("new-success", TaskResultStatus.SUCCESSFUL, now),
        ("old-failure", TaskResultStatus.FAILED, old),
        ("waiting", TaskResultStatus.READY, None),
    ):
        result = worker_probe.enqueue(key=name).db_result
        DBTaskResult.objects.filter(pk=result.pk).update(status=status, finished_at=finished)
        results[name] = result.pk

    assert task_results_prune(older_than=now - timedelta(days=7), batch_size=1) == 1

    kept = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert kept == {results["new-success"], results["old-failure"], results["waiting"]}
