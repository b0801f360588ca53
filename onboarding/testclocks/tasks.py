"""Background work for test clocks: a thin wrapper around the advance (services.py)."""

from django_tasks import task

from onboarding.testclocks.advancing import clock_run


@task()
def clock_advance_task(clock_id: int) -> str:
    """Move clock `clock_id` to its target, a step at a time; returns its status."""
    return clock_run(clock_id=clock_id).status
