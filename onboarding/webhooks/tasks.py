"""Background work for webhooks. The worker's scheduler enqueues both by their dotted paths
(settings.WORKER_PERIODIC_TASKS)."""

from django.conf import settings
from django_tasks import task

from onboarding.webhooks import delivery, dispatch


@task()
def webhooks_dispatch_task() -> int:
    """New sealed audit entries to deliveries, then one batch of each running replay."""
    return dispatch.webhooks_dispatch() + dispatch.replays_advance()


@task()
def webhooks_deliver_task() -> int:
    """Send every delivery that is due, round after round; before each round, seal and dispatch
    what was just recorded (dispatch.webhooks_catch_up). Returns the attempts made."""
    attempts = 0
    for _ in range(settings.WEBHOOKS_SEND_ROUNDS):
        dispatch.webhooks_catch_up()
        made = delivery.deliver_round()
        if not made:
            break
        attempts += made
    return attempts
