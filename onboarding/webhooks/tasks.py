"""Background work for webhooks. The worker's scheduler enqueues both by their dotted paths
(settings.WORKER_PERIODIC_TASKS)."""

from django_tasks import task

from onboarding.webhooks import delivery, dispatch


@task()
def webhooks_dispatch_task() -> int:
    """New sealed audit entries to deliveries, then one batch of each running replay."""
    return dispatch.webhooks_dispatch() + dispatch.replays_advance()


@task()
def webhooks_deliver_task() -> int:
    """Send every delivery that is due."""
    return delivery.webhooks_deliver_due()
