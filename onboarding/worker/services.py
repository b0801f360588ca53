"""Writes for background work: heartbeats, the stale-task reaper, idempotent and periodic
enqueueing, the alert for a task that failed for good, and an admin's re-queue.

Every task body must itself be idempotent: a task can run more than once (a worker killed
after the work but before recording success, a retry after a partial failure), so it checks
the business state first ("is this invoice already issued?") and does nothing if the work is
done. task_enqueue_once stops duplicate *queueing*; it cannot stop a re-run.
"""

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_tasks import TaskResultStatus
from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult

from onboarding.alerts.models import AdminAlert
from onboarding.alerts.permissions import require_admin
from onboarding.alerts.services import admin_alert_raise
from onboarding.core import clock
from onboarding.core.errors import Conflict, NotFound
from onboarding.worker.events import task_reaped, task_requeue_refused, task_requeued
from onboarding.worker.models import PeriodicSlot, TaskKey, WorkerHeartbeat

logger = logging.getLogger(__name__)

UNFINISHED = (TaskResultStatus.READY, TaskResultStatus.RUNNING)
TRACEBACK_TAIL_CHARS = 4000


class WorkerLost(Exception):
    """The worker running a task stopped beating its heart (killed, out of memory, host gone)."""


# --- Heartbeats ---


def heartbeat_beat(*, worker_id: str, hostname: str, pid: int, started_at: datetime) -> None:
    """Say worker `worker_id` is alive now (insert or update its row)."""
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"last_seen_at": timezone.now()},
        create_defaults={
            "hostname": hostname[:255],
            "pid": pid,
            "started_at": started_at,
            "last_seen_at": timezone.now(),
        },
    )


def heartbeat_remove(*, worker_id: str) -> None:
    """A worker that stops cleanly takes its row away: it runs nothing any more."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def heartbeats_prune(*, older_than: datetime) -> int:
    """Forget workers silent since before `older_than` that hold no RUNNING task."""
    running_on = {
        ids[-1]
        for ids in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).values_list(
            "worker_ids", flat=True
        )
        if ids
    }
    deleted, _ = (
        WorkerHeartbeat.objects.filter(last_seen_at__lt=older_than)
        .exclude(worker_id__in=running_on)
        .delete()
    )
    return deleted


# --- The reaper ---


def tasks_reap_stale(*, now: datetime | None = None) -> int:
    """Give back the RUNNING tasks of workers that stopped beating their heart; return how many.

    A task whose last worker (worker_ids[-1]) has no heartbeat newer than
    WORKER_STALE_AFTER_SECONDS goes back to READY to run now; the lost run counts as one of its
    TASK_MAX_ATTEMPTS, and a task that used its last attempt this way is FAILED with an alert
    (a task that kills its worker every time must not loop for ever). Each one is audited.
    """
    now = now or timezone.now()
    since = now - timedelta(seconds=settings.WORKER_STALE_AFTER_SECONDS)
    alive = set(
        WorkerHeartbeat.objects.filter(last_seen_at__gte=since).values_list("worker_id", flat=True)
    )
    reaped = 0
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).only("id", "worker_ids")
    for candidate in running:
        last_worker = candidate.worker_ids[-1] if candidate.worker_ids else ""
        if last_worker in alive:
            continue
        if _task_reap(task_id=candidate.pk, last_worker=last_worker, now=now):
            reaped += 1
    return reaped


def _task_reap(*, task_id: uuid.UUID, last_worker: str, now: datetime) -> bool:
    with transaction.atomic():
        row = (
            DBTaskResult.objects.select_for_update()
            .filter(pk=task_id, status=TaskResultStatus.RUNNING)
            .first()
        )
        # Finished, or claimed again by another worker, since we looked: not ours to touch.
        if row is None or (row.worker_ids[-1:] or [""])[0] != last_worker:
            return False
        attempts = len(row.worker_ids)
        final = attempts >= settings.TASK_MAX_ATTEMPTS
        lost = WorkerLost(
            f"worker {last_worker or '?'} stopped beating its heart while running this task "
            f"(attempt {attempts} of {settings.TASK_MAX_ATTEMPTS})"
        )
        row.exception_class_path = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"
        row.traceback = f"{row.exception_class_path}: {lost}\n"
        if final:
            row.status = TaskResultStatus.FAILED
            row.finished_at = now
        else:
            row.status = TaskResultStatus.READY
            row.run_after = now
        row.save(
            update_fields=[
                "status",
                "finished_at",
                "run_after",
                "exception_class_path",
                "traceback",
            ]
        )
        task_reaped(row=row, last_worker=last_worker, attempts=attempts, message=str(lost))
    logger.warning(
        "re-queued a task whose worker died" if not final else "a task's last worker died",
        extra={"task_id": str(row.pk), "task_path": row.task_path, "worker_id": last_worker},
    )
    if final:
        task_failure_alert(db_task_result=row)
    return True


# --- The alert for a task that failed for good ---


def task_failure_alert(*, db_task_result: DBTaskResult) -> AdminAlert:
    """Tell the admins that a task has used all its attempts and is FAILED for good."""
    args_kwargs = db_task_result.args_kwargs or {}
    attempts = len(db_task_result.worker_ids)
    exception = db_task_result.exception_class_path or "an unknown error"
    return admin_alert_raise(
        reason="task_failed",
        message=f"Task {db_task_result.task_path} failed after {attempts} attempt(s): {exception}",
        target=db_task_result,
        context={
            "task_id": str(db_task_result.pk),
            "task_path": db_task_result.task_path,
            "args": args_kwargs.get("args", []),
            "kwargs": args_kwargs.get("kwargs", {}),
            "attempts": attempts,
            "worker_ids": db_task_result.worker_ids,
            "exception": exception,
            "traceback_tail": (db_task_result.traceback or "")[-TRACEBACK_TAIL_CHARS:],
        },
    )


# --- Enqueueing ---


def _enqueue(task: Task, *, args: Sequence, kwargs: dict | None, run_after: datetime | None):
    queued = task.using(run_after=run_after) if run_after is not None else task
    if (queue := clock.queue_name()) is not None:
        # Queued under a test clock: its own queue, which only the clock's advance runs (at
        # the simulated moment); real workers never claim it (runner.py).
        queued = queued.using(queue_name=queue)
    return queued.enqueue(*args, **(kwargs or {}))


def task_enqueue_once(
    task: Task,
    *,
    key: str,
    args: Sequence[Any] = (),
    kwargs: dict[str, Any] | None = None,
    run_after: datetime | None = None,
):
    """Enqueue `task` for the business id `key` unless a task for `key` is still unfinished.

    Returns the new TaskResult, or None when the task enqueued earlier for `key` is READY
    (waiting or waiting to retry) or RUNNING. Once that one has finished (SUCCESSFUL or FAILED
    for good) the same key enqueues again. Joins the caller's transaction when there is one.
    The task body must still be idempotent (see this module's docstring).
    """
    if not key or len(key) > 255:
        raise ValueError("a task key of 1 to 255 characters is required")
    with transaction.atomic():
        existing = (
            TaskKey.objects.select_for_update(of=("self",))
            .select_related("task_result")
            .filter(key=key)
            .first()
        )
        if existing is not None and existing.task_result.status in UNFINISHED:
            return None
        result = _enqueue(task, args=args, kwargs=kwargs, run_after=run_after)
        if existing is not None:
            existing.task_result_id = result.id
            existing.save(update_fields=["task_result", "updated_at"])
            return result
        try:
            with transaction.atomic():
                TaskKey.objects.create(key=key, task_result_id=result.id)
        except IntegrityError:
            # A concurrent caller registered the key first and its task is brand new: ours goes.
            DBTaskResult.objects.filter(pk=result.id).delete()
            return None
    return result


def enqueue_on_commit(
    task: Task,
    *,
    key: str,
    args: Sequence[Any] = (),
    kwargs: dict[str, Any] | None = None,
    run_after: datetime | None = None,
) -> None:
    """task_enqueue_once after the current transaction commits (at once outside of one).

    Use it from a service so a task never runs for a change that was rolled back.
    """
    transaction.on_commit(
        partial(task_enqueue_once, task, key=key, args=args, kwargs=kwargs, run_after=run_after)
    )


def periodic_slot_enqueue(*, task: Task, task_path: str, slot_start: datetime, worker_id: str = ""):
    """Enqueue one period's run of a periodic task, once across every worker.

    The PeriodicSlot row and the task are written in one transaction; a worker that loses the
    race for the unique (task_path, slot_start) gets None (another worker did it). A run still
    waiting from an earlier slot means this slot is skipped, so a busy queue does not fill up
    with copies of the same periodic work.
    """
    if PeriodicSlot.objects.filter(
        task_path=task_path, task_result__status=TaskResultStatus.READY
    ).exists():
        return None
    try:
        with transaction.atomic():
            slot = PeriodicSlot.objects.create(
                task_path=task_path, slot_start=slot_start, enqueued_by=worker_id[:64]
            )
            result = task.enqueue()
            slot.task_result_id = result.id
            slot.save(update_fields=["task_result"])
    except IntegrityError:
        return None
    return result


def periodic_slots_prune(*, older_than: datetime) -> int:
    """Forget slots that started before `older_than`; they can never be enqueued again anyway."""
    deleted, _ = PeriodicSlot.objects.filter(slot_start__lt=older_than).delete()
    return deleted


def task_results_prune(*, older_than: datetime, batch_size: int = 5000) -> int:
    """Forget successful task results finished before `older_than`, a batch per transaction:
    periodic tasks add tens of thousands a day. Failed ones stay for an admin to re-queue or
    read; unfinished ones are work."""
    deleted = 0
    while True:
        ids = list(
            DBTaskResult.objects.filter(
                status=TaskResultStatus.SUCCESSFUL, finished_at__lt=older_than
            ).values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return deleted
        DBTaskResult.objects.filter(pk__in=ids).delete()
        deleted += len(ids)


# --- An admin's re-queue ---


def task_requeue(*, task_result_id: str | uuid.UUID, actor) -> DBTaskResult:
    """An admin sends a FAILED task round again with a fresh set of attempts (audited).

    The last error stays in `traceback` until the next attempt replaces it.
    """
    require_admin(actor, refused=task_requeue_refused, object_id=str(task_result_id)[:64])
    try:
        pk = uuid.UUID(str(task_result_id))
    except ValueError as exc:
        raise NotFound(gettext("No such task.")) from exc
    with transaction.atomic():
        row = DBTaskResult.objects.select_for_update().filter(pk=pk).first()
        if row is None:
            raise NotFound(gettext("No such task."))
        if row.status != TaskResultStatus.FAILED:
            raise Conflict(
                gettext("Only a failed task can be re-queued; this one is %(state)s.")
                % {"state": row.status}
            )
        previous_workers = row.worker_ids
        row.status = TaskResultStatus.READY
        row.run_after = timezone.now()
        row.finished_at = None
        row.worker_ids = []
        row.save(update_fields=["status", "run_after", "finished_at", "worker_ids"])
        task_requeued(actor=actor, row=row, previous_worker_ids=previous_workers)
    return row
