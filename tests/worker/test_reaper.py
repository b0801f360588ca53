"""The reaper gives RUNNING tasks of dead workers back to the queue, and leaves live ones alone."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.worker.models import WorkerHeartbeat
from onboarding.worker.services import tasks_reap_stale
from onboarding.worker.tasks import tasks_reap_stale as tasks_reap_stale_task
from tests.probes.tasks import worker_probe


def _running_on(worker_id: str, *, key: str) -> DBTaskResult:
    row = worker_probe.enqueue(key=key).db_result
    row.claim(worker_id)
    return row


def _heartbeat(worker_id: str, *, age_seconds: float) -> None:
    seen = timezone.now() - timedelta(seconds=age_seconds)
    WorkerHeartbeat.objects.create(
        worker_id=worker_id, hostname="test", pid=1, started_at=seen, last_seen_at=seen
    )


def test_a_running_task_of_a_dead_worker_is_queued_again(db, settings):
    _heartbeat("dead", age_seconds=settings.WORKER_STALE_AFTER_SECONDS + 1)
    row = _running_on("dead", key="reap-1")

    assert tasks_reap_stale() == 1

    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY
    assert row.run_after <= timezone.now()
    assert row.worker_ids == ["dead"]  # the lost run counts as an attempt
    assert "stopped beating its heart" in row.traceback
    entry = AuditEntry.objects.get(action="task.reaped")
    assert entry.outcome == "failure"
    assert entry.object_id == str(row.pk)


def test_a_running_task_of_a_live_worker_is_left_alone(db, settings):
    _heartbeat("alive", age_seconds=1)
    row = _running_on("alive", key="reap-2")

    assert tasks_reap_stale() == 0

    row.refresh_from_db()
    assert row.status == TaskResultStatus.RUNNING
    assert not AuditEntry.objects.filter(action="task.reaped").exists()


def test_a_running_task_of_a_worker_that_never_beat_is_queued_again(db):
    row = _running_on("unknown", key="reap-3")

    assert tasks_reap_stale() == 1

    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY


def test_only_the_last_worker_of_a_task_counts(db, settings):
    _heartbeat("dead", age_seconds=settings.WORKER_STALE_AFTER_SECONDS + 1)
    _heartbeat("alive", age_seconds=0)
    row = worker_probe.enqueue(key="reap-4").db_result
    row.claim("dead")
    row.claim("alive")

    assert tasks_reap_stale() == 0
    row.refresh_from_db()
    assert row.status == TaskResultStatus.RUNNING


def test_a_task_that_lost_its_last_attempt_fails_for_good_with_an_alert(db, settings, admin_user):
    settings.TASK_MAX_ATTEMPTS = 2
    row = worker_probe.enqueue(key="reap-5").db_result
    row.claim("dead-1")
    row.claim("dead-2")

    assert tasks_reap_stale() == 1

    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED
    assert row.exception_class_path == "onboarding.worker.services.WorkerLost"
    alert = AdminAlert.objects.get(reason="task_failed")
    assert alert.object_id == str(row.pk)


def test_ready_and_finished_tasks_are_not_touched(db):
    ready = worker_probe.enqueue(key="reap-6").db_result
    done = _running_on("gone", key="reap-7")
    done.set_successful("ok")

    assert tasks_reap_stale() == 0

    assert DBTaskResult.objects.get(pk=ready.pk).status == TaskResultStatus.READY
    assert DBTaskResult.objects.get(pk=done.pk).status == TaskResultStatus.SUCCESSFUL


def test_the_periodic_reaper_task_calls_the_reaper(db):
    row = _running_on("unknown", key="reap-8")

    assert tasks_reap_stale_task.call() == 1
    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY


def test_the_reaper_is_a_configured_periodic_task(settings):
    assert "onboarding.worker.tasks.tasks_reap_stale" in settings.WORKER_PERIODIC_TASKS
