"""Background work for SLA clocks: thin wrappers around watch.py."""

from django_tasks import task

from onboarding.sla import watch


@task()
def sla_clocks_check_task() -> dict:
    """Periodic (WORKER_PERIODIC_TASKS): warn at 80% of a clock's time, breach past its due."""
    report = watch.sla_clocks_check()
    return {"warned": report.warned, "breached": report.breached}
