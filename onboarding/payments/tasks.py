"""Background work for payments: thin wrappers around services, enqueued by the worker's
scheduler by dotted path (settings.WORKER_PERIODIC_TASKS)."""

from django_tasks import task

from onboarding.payments import methods, reconcile


@task()
def payments_reconcile_unknown() -> int:
    """Periodic: settle charges whose outcome is unknown; returns how many were settled."""
    return reconcile.payment_reconcile_unknown()


@task()
def cards_remind_expiring() -> int:
    """Daily: remind each customer, once per card, that their card expires within 30 days."""
    return methods.cards_remind_expiring()
