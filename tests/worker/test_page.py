"""/staff/tasks/: workers and their heartbeats, the queue, failures, and an admin's re-queue."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from onboarding.audit.models import AuditEntry
from onboarding.worker.models import WorkerHeartbeat
from tests.probes.tasks import failing_probe, worker_probe

PAGE = "/staff/tasks/"


@pytest.fixture
def failed_task(db) -> DBTaskResult:
    row = failing_probe.enqueue(key="page").db_result
    row.claim("worker-x")
    try:
        raise RuntimeError("the bank said no")
    except RuntimeError as exc:
        row.set_failed(exc)
    return row


def _requeue_url(row: DBTaskResult) -> str:
    return f"{PAGE}{row.pk}/requeue"


def test_the_page_shows_workers_with_their_heartbeat_age(sysops_client, settings):
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        worker_id="host-1-alive", hostname="host", pid=10, started_at=now, last_seen_at=now
    )
    old = now - timedelta(seconds=settings.WORKER_STALE_AFTER_SECONDS + 30)
    WorkerHeartbeat.objects.create(
        worker_id="host-2-dead", hostname="host", pid=11, started_at=old, last_seen_at=old
    )

    response = sysops_client.get(PAGE)

    assert response.status_code == 200
    workers = {w.worker_id: w for w in response.context["workers"]}
    assert workers["host-1-alive"].fresh
    assert not workers["host-2-dead"].fresh
    assert workers["host-2-dead"].age_seconds >= settings.WORKER_STALE_AFTER_SECONDS + 30
    assert b"host-2-dead" in response.content


def test_the_page_counts_tasks_by_status_and_the_ready_queue(sysops_client, failed_task):
    worker_probe.enqueue(key="ready-1")
    worker_probe.enqueue(key="ready-2")
    worker_probe.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(key="later")

    counts = sysops_client.get(PAGE).context["counts"]

    assert counts["READY"] == 3
    assert counts["READY_DUE"] == 2
    assert counts["FAILED"] == 1
    assert counts["RUNNING"] == 0


def test_the_page_shows_recent_failures_with_their_traceback(sysops_client, failed_task):
    response = sysops_client.get(PAGE)

    assert [t.pk for t in response.context["failures"]] == [failed_task.pk]
    assert b"RuntimeError: the bank said no" in response.content


def test_only_an_admin_sees_the_requeue_button(sysops_client, admin_client_2fa, failed_task):
    url = _requeue_url(failed_task).encode()

    assert url not in sysops_client.get(PAGE).content
    assert url in admin_client_2fa.get(PAGE).content


def test_an_admin_requeues_a_failed_task(admin_client_2fa, admin_user, failed_task):
    response = admin_client_2fa.post(_requeue_url(failed_task))

    assert response.status_code == 302
    failed_task.refresh_from_db()
    assert failed_task.status == TaskResultStatus.READY
    assert failed_task.worker_ids == []
    assert DBTaskResult.objects.ready().filter(pk=failed_task.pk).exists()
    entry = AuditEntry.objects.get(action="task.requeued", outcome="success")
    assert entry.actor == admin_user
    assert entry.changes["previous_worker_ids"] == ["worker-x"]


@pytest.mark.parametrize("client_fixture", ["sysops_client", "manager_client"])
def test_other_staff_cannot_requeue(request, client_fixture, failed_task):
    client = request.getfixturevalue(client_fixture)

    response = client.post(_requeue_url(failed_task))

    assert response.status_code == 403
    assert b"Only an admin may do this." in response.content
    assert DBTaskResult.objects.get(pk=failed_task.pk).status == TaskResultStatus.FAILED
    assert AuditEntry.objects.filter(action="task.requeued", outcome="refused").exists()


def test_a_task_that_has_not_failed_is_not_requeued(admin_client_2fa, db):
    row = worker_probe.enqueue(key="busy").db_result
    row.claim("worker-y")

    response = admin_client_2fa.post(_requeue_url(row), follow=True)

    assert b"Only a failed task can be re-queued" in response.content
    row.refresh_from_db()
    assert (row.status, row.worker_ids) == (TaskResultStatus.RUNNING, ["worker-y"])
    assert not AuditEntry.objects.filter(action="task.requeued").exists()


def test_requeueing_an_unknown_task_says_so(admin_client_2fa, db):
    response = admin_client_2fa.post(
        f"{PAGE}00000000-0000-0000-0000-000000000000/requeue", follow=True
    )

    assert response.status_code == 200
    assert b"No such task." in response.content


def test_customers_do_not_reach_the_tasks_page(customer_client):
    assert customer_client.get(PAGE).status_code == 404
