"""The task worker woken by PostgreSQL LISTEN/NOTIFY when a task commits, its poll as fallback.

Every worker here polls every 30 s, so a task run within a few seconds ran because the worker
was woken. On SQLite there is no listener and the worker polls as before.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from onboarding.worker.runner import TASKS_WAKEUP_CHANNEL, ResilientWorker
from tests.probes.models import TaskProbe
from tests.probes.tasks import worker_probe
from tests.waiting import wait_until

LONG_POLL = 30.0
# Well under LONG_POLL, generous for a busy 2-core machine.
DEADLINE = 5.0


class Rollback(Exception):
    pass


def status_of(task_id) -> str:
    return DBTaskResult.objects.values_list("status", flat=True).get(pk=task_id)


def listener_pids(channel: str) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = %s",
            [f'LISTEN "{channel}"'],
        )
        return [row[0] for row in cursor.fetchall()]


class WorkerThread:
    """Our worker in a thread of this process, polling every LONG_POLL seconds."""

    def __init__(self, name: str) -> None:
        self.worker = ResilientWorker(
            queue_names=["*"],
            interval=LONG_POLL,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=name,
            excluded_queue_names=[],
            scheduler=False,
        )
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.worker.run()
        finally:
            connections.close_all()

    def start(self) -> "WorkerThread":
        self.thread.start()
        self.wait_idle()
        return self

    @property
    def wakeup(self):
        return self.worker.wakeup

    def wait_idle(self) -> None:
        """Until the worker listens and waits out its poll (no claim in progress)."""
        wait_until(
            lambda: self.wakeup is not None and self.wakeup.listening and self.wakeup.waiting,
            timeout=30,
            what="the worker to listen and wait",
        )

    def close(self) -> None:
        self.worker.running = False
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()


@pytest.fixture
def worker_thread(require_postgres, transactional_db):
    started: list[WorkerThread] = []

    def start(name: str = "wakeup-test-worker") -> WorkerThread:
        worker = WorkerThread(name).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.close()


def test_on_sqlite_the_worker_has_no_listener_and_polls(transactional_db):
    if connection.vendor == "postgresql":
        pytest.skip("the SQLite leg's behaviour")
    worker = ResilientWorker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="sqlite-worker",
        excluded_queue_names=[],
        scheduler=False,
    )
    queued = worker_probe.enqueue(key="sqlite-1")
    worker.run()
    assert worker.wakeup is None
    assert status_of(queued.id) == TaskResultStatus.SUCCESSFUL


@pytest.mark.postgres
def test_the_worker_wakes_on_a_committed_task_long_before_its_poll(worker_thread):
    worker = worker_thread()
    heard = worker.wakeup.woken

    started = time.monotonic()
    with transaction.atomic():
        queued = worker_probe.enqueue(key="wake-1")
    wait_until(
        lambda: status_of(queued.id) == TaskResultStatus.SUCCESSFUL,
        timeout=DEADLINE,
        what="the woken worker to run the task",
    )

    assert time.monotonic() - started < DEADLINE < LONG_POLL
    assert worker.wakeup.woken > heard


@pytest.mark.postgres
def test_a_rolled_back_task_wakes_no_worker_and_never_runs(worker_thread):
    worker = worker_thread()

    with pytest.raises(Rollback), transaction.atomic():
        worker_probe.enqueue(key="rolled-back-1")
        raise Rollback

    # Then a committed one: it wakes the worker, and only it runs.
    with transaction.atomic():
        queued = worker_probe.enqueue(key="committed-1")
    wait_until(
        lambda: status_of(queued.id) == TaskResultStatus.SUCCESSFUL,
        timeout=DEADLINE,
        what="the worker to run the committed task",
    )
    assert worker.wakeup.woken == 1
    assert not TaskProbe.objects.filter(key="rolled-back-1").exists()
    assert DBTaskResult.objects.count() == 1


@pytest.mark.postgres
def test_a_worker_whose_listening_connection_is_killed_listens_again_and_keeps_working(
    worker_thread,
):
    worker = worker_thread()
    [listener] = listener_pids(TASKS_WAKEUP_CHANNEL)

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [listener])
    wait_until(lambda: worker.wakeup.connects == 2, timeout=DEADLINE, what="a new listener")
    worker.wait_idle()
    listeners = listener_pids(TASKS_WAKEUP_CHANNEL)
    assert listeners and listener not in listeners
    heard = worker.wakeup.woken

    with transaction.atomic():
        queued = worker_probe.enqueue(key="after-kill-1")
    wait_until(
        lambda: status_of(queued.id) == TaskResultStatus.SUCCESSFUL,
        timeout=DEADLINE,
        what="the worker to run a task after its listener was killed",
    )
    assert worker.wakeup.woken > heard


@pytest.mark.postgres
def test_two_workers_both_wake_and_each_task_runs_once(worker_thread):
    workers = [worker_thread("wakeup-worker-a"), worker_thread("wakeup-worker-b")]

    with transaction.atomic():
        queued = [worker_probe.enqueue(key=f"two-workers-{n}") for n in range(6)]
    wait_until(
        lambda: all(status_of(q.id) == TaskResultStatus.SUCCESSFUL for q in queued),
        timeout=DEADLINE * 2,
        what="the two workers to run every task",
    )

    assert all(w.wakeup.woken >= 1 for w in workers)
    for n in range(6):
        assert TaskProbe.objects.filter(key=f"two-workers-{n}", event="completed").count() == 1
