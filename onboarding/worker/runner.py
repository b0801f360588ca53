"""The task worker behind `manage.py run_worker`: django-tasks-db's Worker, made crash-safe.

On top of the stock loop (claim a READY task, run it, record the outcome) it adds:
- a heartbeat thread, so a worker that dies (SIGKILL, OOM) is seen as dead and the reaper gives
  its RUNNING task back to the queue;
- the reaper at start-up (and, as the periodic task tasks_reap_stale, while running);
- retries with capped exponential backoff (TaskAttempt), and an admin alert once a task has
  failed for good;
- a scheduler thread that enqueues settings.WORKER_PERIODIC_TASKS, each period once across
  every worker;
- on PostgreSQL, a wake-up: a trigger on the task table notifies TASKS_WAKEUP_CHANNEL when a
  task is committed ready, and an idle worker listening there claims it at once instead of at
  its next poll (notifications/wakeup.py). The poll interval stays as the fallback (tasks due
  later, the listening connection down) and is the only way on SQLite.
"""

import logging
import math
import os
import random
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import (
    DatabaseError,
    OperationalError,
    close_old_connections,
    connections,
    transaction,
)
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus
from django_tasks.base import Task
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from onboarding.core import clock
from onboarding.core.context import request_context
from onboarding.notifications.wakeup import Wakeup, listening_supported
from onboarding.worker.models import TaskAttempt
from onboarding.worker.services import (
    heartbeat_beat,
    heartbeat_remove,
    heartbeats_prune,
    periodic_slot_enqueue,
    periodic_slots_prune,
    task_failure_alert,
    task_results_prune,
    tasks_reap_stale,
)

logger = logging.getLogger("onboarding.worker")

# How long enqueued periodic slots (only needed while current) and the heartbeats of workers
# that died (kept so the tasks page shows them) are remembered.
RETENTION_SECONDS = 24 * 3600

# Notified on commit by the task table's triggers (migration 0004), PostgreSQL only.
TASKS_WAKEUP_CHANNEL = "tasks_wakeup"


def slot_start_for(now: datetime, every_seconds: int) -> datetime:
    """The start of the period of `every_seconds` that `now` falls in, aligned to the epoch so
    every worker computes the same slot."""
    start = math.floor(now.timestamp() / every_seconds) * every_seconds
    return datetime.fromtimestamp(start, tz=UTC)


class _BackgroundLoop(threading.Thread):
    """A daemon thread that calls `step` every `every` seconds until stopped.

    It uses its own database connection (Django's are per thread) and closes it when it ends,
    so a stopped worker leaves no connection behind.
    """

    def __init__(self, *, name: str, every: float) -> None:
        super().__init__(name=name, daemon=True)
        self.every = every
        self._stopping = threading.Event()

    def step(self) -> None:
        raise NotImplementedError

    def run(self) -> None:
        try:
            while not self._stopping.wait(self.wait_seconds()):
                try:
                    close_old_connections()
                    self.step()
                except Exception:
                    # A background loop must outlive any one failure (the database restarting,
                    # a broken task): log it, drop this thread's connection, try next time.
                    logger.exception("%s: step failed", self.name)
                    connections.close_all()
        finally:
            connections.close_all()

    def wait_seconds(self) -> float:
        return self.every

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)


class HeartbeatThread(_BackgroundLoop):
    def __init__(self, *, worker_id: str, hostname: str, pid: int, started_at: datetime) -> None:
        super().__init__(name=f"heartbeat-{worker_id}", every=settings.WORKER_HEARTBEAT_SECONDS)
        self.beat = {"worker_id": worker_id, "hostname": hostname, "pid": pid}
        self.started_at = started_at

    def step(self) -> None:
        heartbeat_beat(started_at=self.started_at, **self.beat)


class PeriodicScheduler:
    """Enqueues each configured periodic task once per period (see periodic_slot_enqueue)."""

    def __init__(self, *, periodic_tasks: dict[str, int], worker_id: str) -> None:
        self.worker_id = worker_id
        self.entries: list[tuple[str, Task, int]] = []
        for path, every in periodic_tasks.items():
            try:
                task = import_string(path)
            except ImportError:
                logger.error("periodic task %s cannot be imported; skipped", path)
                continue
            if not isinstance(task, Task) or int(every) < 1:
                logger.error("periodic task %s is not a task with an interval >= 1s; skipped", path)
                continue
            self.entries.append((path, task, int(every)))
        # The slot each path was last handled for, so a tick does not ask the database again.
        self._handled: dict[str, datetime] = {}
        self._pruned_at: datetime | None = None

    def tick(self, now: datetime | None = None) -> list:
        """Enqueue every task whose current slot this scheduler has not handled yet."""
        now = now or timezone.now()
        enqueued = []
        for path, task, every in self.entries:
            slot = slot_start_for(now, every)
            if self._handled.get(path) == slot:
                continue
            result = periodic_slot_enqueue(
                task=task, task_path=path, slot_start=slot, worker_id=self.worker_id
            )
            self._handled[path] = slot
            if result is not None:
                enqueued.append(result)
        if self._pruned_at is None or (now - self._pruned_at).total_seconds() > 3600:
            older_than = now - timedelta(seconds=RETENTION_SECONDS)
            periodic_slots_prune(older_than=older_than)
            heartbeats_prune(older_than=older_than)
            task_results_prune(
                older_than=now - timedelta(days=settings.WORKER_TASK_RESULTS_KEPT_DAYS)
            )
            self._pruned_at = now
        return enqueued

    def seconds_to_next_slot(self, now: datetime | None = None) -> float:
        now = now or timezone.now()
        if not self.entries:
            return 60.0
        stamp = now.timestamp()
        return min(every - (stamp % every) for _, _, every in self.entries)


class SchedulerThread(_BackgroundLoop):
    def __init__(self, scheduler: PeriodicScheduler) -> None:
        super().__init__(name=f"scheduler-{scheduler.worker_id}", every=1.0)
        self.scheduler = scheduler

    def wait_seconds(self) -> float:
        # Wake just after the next slot begins; never sleep so long a stop is slow to notice.
        return min(max(self.scheduler.seconds_to_next_slot() + 0.01, 0.05), 5.0)

    def step(self) -> None:
        self.scheduler.tick()

    def run(self) -> None:
        try:
            self.scheduler.tick()  # the current slot at once, not after the first wait
        except Exception:
            logger.exception("%s: step failed", self.name)
        super().run()


def new_worker_id() -> str:
    """Host, pid and a random part: unique across the pool, readable on the tasks page."""
    host = socket.gethostname().split(".")[0][:30]
    return f"{host}-{os.getpid()}-{os.urandom(4).hex()}"[:64]


class ResilientWorker(Worker):
    """django-tasks-db's Worker with heartbeats, the reaper, retries and periodic tasks."""

    def __init__(
        self,
        *,
        periodic_tasks: dict[str, int] | None = None,
        scheduler: bool = True,
        listen: bool = True,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.listen = listen
        self.wakeup: Wakeup | None = None
        self.hostname = socket.gethostname()
        self.pid = os.getpid()
        self.periodic_tasks = (
            settings.WORKER_PERIODIC_TASKS if periodic_tasks is None else periodic_tasks
        )
        self.scheduler_enabled = scheduler
        self._threads: list[_BackgroundLoop] = []

    @classmethod
    def in_thread(cls, *, queue_names: list[str], worker_id: str) -> "ResilientWorker":
        """A worker that runs what is due in the calling thread and returns: no scheduler, no
        LISTEN, no wait between tasks (a test clock's drain, the tests' in-process worker)."""
        return cls(
            queue_names=queue_names,
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
            scheduler=False,
            listen=False,
        )

    def run(self) -> None:
        started_at = timezone.now()
        # The first beat before the first claim: a task is never RUNNING under an unknown worker.
        heartbeat_beat(
            worker_id=self.worker_id, hostname=self.hostname, pid=self.pid, started_at=started_at
        )
        reaped = tasks_reap_stale()
        if reaped:
            logger.warning("re-queued %d task(s) of dead workers at start-up", reaped)
        self._threads = [
            HeartbeatThread(
                worker_id=self.worker_id,
                hostname=self.hostname,
                pid=self.pid,
                started_at=started_at,
            )
        ]
        if self.scheduler_enabled:
            self._threads.append(
                SchedulerThread(
                    PeriodicScheduler(periodic_tasks=self.periodic_tasks, worker_id=self.worker_id)
                )
            )
        for thread in self._threads:
            thread.start()
        try:
            self._claim_loop()
        finally:
            if self.wakeup is not None:
                self.wakeup.close()
            self._stop_threads()
            try:
                heartbeat_remove(worker_id=self.worker_id)
            except DatabaseError:
                logger.exception("could not remove the heartbeat of %s", self.worker_id)
            logger.info("worker %s stopped", self.worker_id)

    def _claim_loop(self) -> None:
        """django-tasks-db 0.13's Worker.run, idling on the wake-up instead of time.sleep."""
        logger.info("worker %s started on queues %s", self.worker_id, ",".join(self.queue_names))
        if self.startup_delay and self.interval:
            # A small random delay, so workers started together do not all poll in step.
            time.sleep(random.random())  # noqa: S311
        if self.listen and not self.batch and listening_supported():
            self.wakeup = Wakeup(TASKS_WAKEUP_CHANNEL)
        while self.running:
            close_old_connections()
            task_result, retrieved = self._claim_one()
            if task_result is not None:
                self.run_task(task_result)
            if self.batch and retrieved and task_result is None:
                logger.info("no more tasks for worker %s; leaving", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                logger.info("worker %s ran its %d tasks; leaving", self.worker_id, self.max_tasks)
                return
            close_old_connections()
            if self.running and task_result is None:
                self._idle()

    def _claim_one(self) -> tuple[DBTaskResult | None, bool]:
        """Claim the next ready task for this worker; (task or None, whether the queue was read)."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        # A test clock's queue is run by that clock's advance, at its simulated moment.
        tasks = tasks.exclude(queue_name__startswith=clock.QUEUE_PREFIX)
        with exclusive_transaction(tasks.db):
            try:
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
            except OperationalError as exc:
                # SQLite's lock is busy: someone else is claiming; try again on the next round.
                if is_locked_database_exception(exc):
                    return None, False
                raise
        return task_result, True

    def _idle(self) -> None:
        """Wait for the next round: the poll interval, cut short by a wake-up on PostgreSQL."""
        if self.wakeup is None:
            time.sleep(self.interval)
            return
        self.wakeup.wait(self.interval, should_stop=lambda: not self.running)

    def _stop_threads(self) -> None:
        for thread in self._threads:
            thread.stop()

    def run_task(self, db_task_result: DBTaskResult) -> None:
        # The stock loop hands us a plain DBTaskResult; run it as a TaskAttempt so a failure
        # becomes a retry (TaskAttempt.set_failed) until the attempts run out.
        attempt = TaskAttempt.objects.get(pk=db_task_result.pk)
        with request_context(request_id=f"task-{attempt.pk.hex}"):
            super().run_task(attempt)
            if attempt.status == TaskResultStatus.FAILED:
                self._alert_failed(attempt)
            elif attempt.status == TaskResultStatus.READY:
                logger.warning(
                    "task failed; retrying later",
                    extra={
                        "task_id": str(attempt.pk),
                        "task_path": attempt.task_path,
                        "attempt": attempt.attempts,
                        "run_after": attempt.run_after.isoformat(),
                    },
                )

    def _alert_failed(self, attempt: TaskAttempt) -> None:
        try:
            task_failure_alert(db_task_result=attempt)
        except Exception:
            # The task is recorded FAILED either way; a broken alert path must not stop the worker.
            logger.exception("could not raise the alert for failed task %s", attempt.pk)


def queue_run_ready(*, queue_name: str, now: datetime, worker_id: str, limit: int = 500) -> int:
    """Run, in this thread, every READY task of `queue_name` due by `now`, once each, in the
    order they were queued; returns how many ran. A test clock's advance drains its own queue
    this way (onboarding/core/clock.py): the tasks run inside the caller's simulated moment,
    with the worker's retries and failure alerts."""
    worker = ResilientWorker.in_thread(queue_names=[queue_name], worker_id=worker_id)
    due = (
        DBTaskResult.objects.filter(queue_name=queue_name, status=TaskResultStatus.READY)
        .filter(Q(run_after=get_date_max()) | Q(run_after__lte=now))
        .order_by("-priority", "enqueued_at")
    )
    ran = 0
    for task_id in list(due.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            row = (
                DBTaskResult.objects.select_for_update()
                .filter(pk=task_id, status=TaskResultStatus.READY)
                .first()
            )
            if row is None:
                continue
            row.claim(worker_id)
        worker.run_task(row)
        ran += 1
    return ran
