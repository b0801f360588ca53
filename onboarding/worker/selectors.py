"""Reads for the tasks page and /readyz."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from onboarding.core.errors import NotFound
from onboarding.worker.models import TaskKey, WorkerHeartbeat


def _stale_since(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(seconds=settings.WORKER_STALE_AFTER_SECONDS)


def worker_heartbeat_is_fresh() -> bool:
    """True when at least one task worker has beaten its heart within the stale window."""
    return WorkerHeartbeat.objects.filter(last_seen_at__gte=_stale_since()).exists()


@dataclass(frozen=True)
class WorkerRow:
    worker_id: str
    hostname: str
    pid: int | None
    started_at: datetime
    last_seen_at: datetime
    age_seconds: float
    fresh: bool


def worker_list() -> list[WorkerRow]:
    """Every worker that has a heartbeat row, with how old its last beat is."""
    now = timezone.now()
    since = _stale_since(now)
    return [
        WorkerRow(
            worker_id=beat.worker_id,
            hostname=beat.hostname,
            pid=beat.pid,
            started_at=beat.started_at,
            last_seen_at=beat.last_seen_at,
            age_seconds=max((now - beat.last_seen_at).total_seconds(), 0.0),
            fresh=beat.last_seen_at >= since,
        )
        for beat in WorkerHeartbeat.objects.order_by("-last_seen_at")
    ]


def task_status_counts() -> dict[str, int]:
    """How many tasks are in each status, plus READY split into due now and scheduled later."""
    counts = {status.value: 0 for status in TaskResultStatus}
    for row in DBTaskResult.objects.values("status").annotate(n=Count("id")).order_by():
        counts[row["status"]] = row["n"]
    counts["READY_DUE"] = DBTaskResult.objects.ready().count()
    # READY with an error kept: waiting to run again after a failed or lost attempt.
    counts["RETRYING"] = (
        DBTaskResult.objects.filter(status=TaskResultStatus.READY).exclude(traceback="").count()
    )
    return counts


def task_recent_failures(*, limit: int = 20) -> list[DBTaskResult]:
    """FAILED tasks and tasks waiting to retry after an error, newest first."""
    return list(
        DBTaskResult.objects.filter(
            Q(status=TaskResultStatus.FAILED)
            | (Q(status=TaskResultStatus.READY) & ~Q(traceback=""))
        )
        .order_by("-started_at")
        .only(
            "id",
            "status",
            "task_path",
            "args_kwargs",
            "worker_ids",
            "started_at",
            "finished_at",
            "run_after",
            "exception_class_path",
            "traceback",
            "enqueued_at",
        )[:limit]
    )


def task_result_get(*, task_result_id: str) -> DBTaskResult:
    try:
        return DBTaskResult.objects.get(pk=task_result_id)
    except (DBTaskResult.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(gettext("No such task.")) from exc


def task_key_unfinished(*, key: str) -> bool:
    """Whether the task enqueued for the business id `key` (services.task_enqueue_once) is
    still waiting or running; False once it finished, for good or not, or if there is none."""
    return TaskKey.objects.filter(
        key=key, task_result__status__in=(TaskResultStatus.READY, TaskResultStatus.RUNNING)
    ).exists()
