"""A task that raises is retried with capped, jittered exponential backoff, then FAILED + alert."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from onboarding.alerts.models import AdminAlert
from onboarding.notifications.models import Notification
from onboarding.worker.models import task_retry_delay
from tests.probes.models import TaskProbe
from tests.probes.tasks import failing_probe, flaky_probe
from tests.worker.conftest import run_worker_in_process

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def retry_settings(settings):
    settings.TASK_MAX_ATTEMPTS = 3
    settings.TASK_RETRY_BASE_SECONDS = 60
    settings.TASK_RETRY_MAX_SECONDS = 100
    return settings


def _make_due(task_id) -> None:
    # Stand at the moment the backoff has passed, rather than waiting for it.
    DBTaskResult.objects.filter(pk=task_id).update(run_after=timezone.now())


def test_a_failed_attempt_is_queued_again_after_a_backoff(retry_settings):
    queued = failing_probe.enqueue(key="retry-1")
    before = timezone.now()

    run_worker_in_process()
    after = timezone.now()

    row = DBTaskResult.objects.get(pk=queued.id)
    assert row.status == TaskResultStatus.READY
    assert len(row.worker_ids) == 1
    # Half to all of the 60 s base, counted from the failure, which came somewhere between
    # `before` and `after` (on a loaded machine the worker may take seconds to get to it).
    assert before + timedelta(seconds=30) <= row.run_after <= after + timedelta(seconds=60)
    assert row.exception_class_path == "builtins.RuntimeError"
    assert "probe retry-1 failed on attempt 1" in row.traceback
    # Not due yet: the worker did not run it a second time.
    assert TaskProbe.objects.filter(key="retry-1").count() == 1


def test_a_task_fails_for_good_after_its_last_attempt_and_alerts_the_admins(
    retry_settings, admin_user
):
    queued = failing_probe.enqueue(key="retry-2")

    for _ in range(3):
        run_worker_in_process()
        _make_due(queued.id)

    row = DBTaskResult.objects.get(pk=queued.id)
    assert row.status == TaskResultStatus.FAILED
    assert len(row.worker_ids) == 3
    assert "failed on attempt 3" in row.traceback
    assert TaskProbe.objects.filter(key="retry-2", event="attempt").count() == 3
    alert = AdminAlert.objects.get(reason="task_failed")
    assert alert.object_id == str(queued.id)
    assert alert.context["task_path"] == "tests.probes.tasks.failing_probe"
    assert alert.context["kwargs"] == {"key": "retry-2"}
    assert alert.context["attempts"] == 3
    assert "failed on attempt 3" in alert.context["traceback_tail"]
    assert Notification.objects.filter(recipient=admin_user, kind="admin_alert").count() == 1


def test_a_task_that_recovers_on_retry_succeeds_without_an_alert(retry_settings):
    queued = flaky_probe.enqueue(key="retry-3", failures=1)

    run_worker_in_process()
    _make_due(queued.id)
    run_worker_in_process()

    row = DBTaskResult.objects.get(pk=queued.id)
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert len(row.worker_ids) == 2
    assert row.return_value == "completed"
    assert not AdminAlert.objects.exists()


def test_the_backoff_doubles_per_attempt(settings):
    settings.TASK_RETRY_BASE_SECONDS = 10
    settings.TASK_RETRY_MAX_SECONDS = 10_000

    for attempts, full in [(1, 10), (2, 20), (3, 40), (4, 80)]:
        delay = task_retry_delay(attempts).total_seconds()
        assert full / 2 <= delay <= full


def test_the_backoff_is_capped(settings):
    settings.TASK_RETRY_BASE_SECONDS = 10
    settings.TASK_RETRY_MAX_SECONDS = 60

    delays = [task_retry_delay(30).total_seconds() for _ in range(20)]

    assert all(30 <= delay <= 60 for delay in delays)


def test_the_backoff_is_jittered(settings):
    settings.TASK_RETRY_BASE_SECONDS = 100

    delays = {task_retry_delay(1).total_seconds() for _ in range(20)}

    assert len(delays) > 1
