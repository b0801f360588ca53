"""The scheduler's hourly tidy-up: old periodic slots and heartbeats of long-dead workers."""

from datetime import timedelta

from django.utils import timezone

from onboarding.worker.models import PeriodicSlot, WorkerHeartbeat
from onboarding.worker.services import heartbeats_prune, periodic_slots_prune
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
