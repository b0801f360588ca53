"""Background work of the worker app itself: thin wrappers around its services."""

from django_tasks import task

from onboarding.worker import services


@task()
def tasks_reap_stale() -> int:
    """Periodic (settings.WORKER_PERIODIC_TASKS): re-queue the tasks of dead workers."""
    return services.tasks_reap_stale()
