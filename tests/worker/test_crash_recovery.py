"""A worker killed mid-task (SIGKILL) loses nothing: another worker runs the task, once."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from onboarding.audit.models import AuditEntry
from onboarding.worker.models import WorkerHeartbeat
from tests.probes.models import TaskProbe
from tests.probes.tasks import worker_probe
from tests.waiting import wait_until
from tests.worker.conftest import CHILD_STALE_AFTER_SECONDS

pytestmark = pytest.mark.slow


def _status(task_id) -> str:
    return DBTaskResult.objects.get(pk=task_id).status


def _heartbeat_is_stale(worker_id: str) -> bool:
    cutoff = timezone.now() - timedelta(seconds=CHILD_STALE_AFTER_SECONDS + 0.5)
    return WorkerHeartbeat.objects.filter(worker_id=worker_id, last_seen_at__lt=cutoff).exists()


def test_a_task_whose_worker_was_killed_runs_again_once_on_another_worker(
    worker_processes, tmp_path
):
    go_file = tmp_path / "go"
    queued = worker_probe.enqueue(key="crash-1", go_file=str(go_file))

    first = worker_processes.start("--no-scheduler")
    wait_until(
        lambda: TaskProbe.objects.filter(key="crash-1", event="started").exists(),
        timeout=60,
        what=f"the first worker to start the task; its log:\n{first.log()}",
    )
    first.kill()

    # The stock worker would leave it RUNNING for ever; it stays so until a live worker reaps it.
    row = DBTaskResult.objects.get(pk=queued.id)
    assert row.status == TaskResultStatus.RUNNING
    dead_worker = row.worker_ids[-1]
    wait_until(lambda: _heartbeat_is_stale(dead_worker), timeout=30, what="a stale heartbeat")

    go_file.touch()
    second = worker_processes.start("--no-scheduler")
    wait_until(
        lambda: _status(queued.id) == TaskResultStatus.SUCCESSFUL,
        timeout=60,
        what=f"the second worker to finish the task; its log:\n{second.log()}",
    )

    row.refresh_from_db()
    assert len(row.worker_ids) == 2  # attempts
    assert row.worker_ids[0] == dead_worker != row.worker_ids[1]
    assert TaskProbe.objects.filter(key="crash-1", event="completed").count() == 1
    starts = TaskProbe.objects.filter(key="crash-1", event="started").order_by("id")
    assert [(s.attempt, s.pid) for s in starts] == [(1, first.pid), (2, second.pid)]
    reaped = AuditEntry.objects.get(action="task.reaped", object_id=str(queued.id))
    assert reaped.changes["worker_id"] == dead_worker


def test_a_worker_beats_its_heart_and_removes_it_when_stopped(worker_processes):
    worker = worker_processes.start("--no-scheduler")

    beat = wait_until(
        lambda: WorkerHeartbeat.objects.filter(pid=worker.pid).first(),
        timeout=60,
        what=f"the worker's heartbeat; its log:\n{worker.log()}",
    )
    first_seen = beat.last_seen_at
    wait_until(
        lambda: WorkerHeartbeat.objects.get(pk=beat.pk).last_seen_at > first_seen,
        timeout=10,
        what="a second heartbeat",
    )

    assert worker.terminate() == 0
    assert not WorkerHeartbeat.objects.filter(worker_id=beat.worker_id).exists()
