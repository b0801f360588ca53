"""The worker's audit events (a dead worker's task reaped, an admin's re-queue), one typed
function each: nothing else writes them."""

from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from onboarding.alerts.events import ADMIN_ONLY
from onboarding.audit.models import Outcome
from onboarding.audit.services import audit_record

# What audit entries call a task ("django_tasks_database.dbtaskresult").
TASK_OBJECT_TYPE = DBTaskResult._meta.label_lower


def task_reaped(*, row: DBTaskResult, last_worker: str, attempts: int, message: str) -> None:
    """A task whose worker stopped beating its heart: failed for good, or ready to run again."""
    audit_record(
        action="task.reaped",
        object_type=TASK_OBJECT_TYPE,
        object_id=str(row.pk),
        changes={
            "task_path": row.task_path,
            "worker_id": last_worker,
            "attempts": attempts,
            "status": [TaskResultStatus.RUNNING, row.status],
        },
        outcome=Outcome.FAILURE,
        message=message,
    )


def task_requeued(*, actor, row: DBTaskResult, previous_worker_ids: list[str]) -> None:
    audit_record(
        action="task.requeued",
        actor=actor,
        object_type=TASK_OBJECT_TYPE,
        object_id=str(row.pk),
        changes={
            "task_path": row.task_path,
            "status": [TaskResultStatus.FAILED, TaskResultStatus.READY],
            "previous_worker_ids": previous_worker_ids,
        },
    )


def task_requeue_refused(*, actor, object_id: str) -> None:
    """Someone other than an admin tried to re-queue task `object_id`."""
    audit_record(
        action="task.requeued",
        actor=actor,
        object_type=TASK_OBJECT_TYPE,
        object_id=object_id,
        outcome=Outcome.REFUSED,
        message=ADMIN_ONLY,
    )
