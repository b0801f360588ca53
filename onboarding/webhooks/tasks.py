"""Background work for webhooks. The worker's scheduler enqueues both by their dotted paths
(settings.WORKER_PERIODIC_TASKS)."""

from django_tasks import task

from onboarding.webhooks import delivery, dispatch


@task()
def webhooks_dispatch_task() -> int:
    """New sealed audit entries to deliveries, then one batch of each running replay. When it
    queued any, the sender is woken at once rather than at its next tick (up to 2 s later: most
    of a delivery's wait after dispatch, bench/webhook_delivery.py)."""
    created = dispatch.webhooks_dispatch() + dispatch.replays_advance()
    if created:
        webhooks_deliver_task.enqueue()
    return created


@task()
def webhooks_deliver_task() -> int:
    """Send every delivery that is due. Two running at once (the wake-up and the tick) share
    the work: each delivery is claimed before it is sent."""
    return delivery.webhooks_deliver_due()
