"""Background work for the audit log. The worker's scheduler enqueues audit_seal_pending every
few seconds by its dotted path (settings.WORKER_PERIODIC_TASKS)."""

from django_tasks import task

from onboarding.audit import services


@task()
def audit_seal_pending() -> int:
    """Seal every entry recorded since the last run into the hash chain; returns the count."""
    return services.audit_seal_pending()
