"""What the task worker keeps beside django-tasks-db's DBTaskResult.

DBTaskResult (django_tasks_db) is the queue itself; these tables make it survive crashes:
heartbeats tell live workers from dead ones, PeriodicSlot makes each period's run happen once
across several workers, TaskKey makes enqueueing by a business id idempotent.
"""

from datetime import timedelta
from traceback import format_exception

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import retry

from onboarding.core.backoff import backoff_seconds


class WorkerHeartbeat(models.Model):
    """A running worker process says it is alive here every few seconds."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.IntegerField(null=True)
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return self.worker_id


class PeriodicSlot(models.Model):
    """One period of one periodic task, enqueued once: the unique pair is the lock."""

    task_path = models.CharField(max_length=255)
    slot_start = models.DateTimeField()
    task_result = models.ForeignKey(
        DBTaskResult, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    enqueued_by = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-slot_start"]
        constraints = [
            models.UniqueConstraint(fields=["task_path", "slot_start"], name="periodic_slot_once")
        ]

    def __str__(self) -> str:
        return f"{self.task_path} @ {self.slot_start:%Y-%m-%d %H:%M:%S}"


class TaskKey(models.Model):
    """The business id a task was enqueued for: while its task is unfinished, no second one."""

    key = models.CharField(max_length=255, unique=True)
    task_result = models.ForeignKey(DBTaskResult, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.key


def task_retry_delay(attempts: int) -> timedelta:
    """How long a task waits after its `attempts`-th failed attempt before the next one.

    TASK_RETRY_BASE_SECONDS doubling per attempt, capped at TASK_RETRY_MAX_SECONDS, with "equal
    jitter" (between half and all of it) so tasks that failed together do not retry together.
    """
    return timedelta(
        seconds=backoff_seconds(
            attempts,
            base=settings.TASK_RETRY_BASE_SECONDS,
            cap=settings.TASK_RETRY_MAX_SECONDS,
        )
    )


class TaskAttempt(DBTaskResult):
    """A DBTaskResult as our worker (run_worker) runs it: a failure is retried, not final.

    django-tasks-db's worker calls `set_failed` when a task raises. Here that re-queues the
    task (READY, run_after after a backoff, the error kept in `traceback`) until it has had
    settings.TASK_MAX_ATTEMPTS attempts (one per entry in `worker_ids`); only then is it FAILED.
    Deciding in the same UPDATE means no other process ever sees a retried task as finished.
    """

    class Meta:
        proxy = True

    @property
    def attempts(self) -> int:
        return len(self.worker_ids)

    @property
    def will_retry(self) -> bool:
        return self.attempts < settings.TASK_MAX_ATTEMPTS

    def set_failed(self, exc: BaseException) -> None:
        if not self.will_retry:
            super().set_failed(exc)
            return
        self._set_retrying(exc)

    @retry()
    def _set_retrying(self, exc: BaseException) -> None:
        self.status = TaskResultStatus.READY
        self.run_after = timezone.now() + task_retry_delay(self.attempts)
        self.finished_at = None
        self.exception_class_path = f"{type(exc).__module__}.{type(exc).__qualname__}"
        self.traceback = "".join(format_exception(exc))
        self.return_value = None
        self.save(
            update_fields=[
                "status",
                "run_after",
                "finished_at",
                "exception_class_path",
                "traceback",
                "return_value",
            ]
        )
