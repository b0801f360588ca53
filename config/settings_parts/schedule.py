"""WORKER_PERIODIC_TASKS: the work the worker enqueues itself (docs/worker.md)."""


def worker_periodic_tasks() -> dict[str, int]:
    """Task path -> every N seconds (once per slot, even with several workers running)."""
    return {
        "onboarding.audit.tasks.audit_seal_pending": 5,
        "onboarding.worker.tasks.tasks_reap_stale": 15,
        # The staff navigation's counts of work waiting (config/staff_counts.py): pages only read
        # what this stores, so its period is the counts' lag.
        "config.tasks.staff_nav_counts_refresh": 5,
        # The health queue's counts per band and score (onboarding/health/counts.py): the chart's
        # and the page count's lag.
        "onboarding.health.tasks.health_counts_task": 30,
        # Billing (docs/billing.md): the bill run for today, dunning retries, the missing-invoice
        # check, PDFs and notices handed to workers, refunds whose answer never came.
        "onboarding.billing.tasks.bill_run_task": 900,
        "onboarding.billing.tasks.invoice_retries_task": 3600,
        "onboarding.billing.tasks.invoices_missing_task": 3600,
        "onboarding.billing.tasks.follow_ups_dispatch_task": 10,
        "onboarding.billing.tasks.credit_notes_resume_task": 600,
        # Payments: settle unknown charges; remind customers of expiring cards (docs/payments.md).
        "onboarding.payments.tasks.payments_reconcile_unknown": 60,
        "onboarding.payments.tasks.cards_remind_expiring": 86400,
        # Contracts: issue any that are due but missing, then move terms along (docs/contracts.md).
        "onboarding.contracts.tasks.contracts_issue_missing_task": 60,
        "onboarding.contracts.tasks.contracts_lifecycle_task": 900,
        "onboarding.sla.tasks.sla_clocks_check_task": 60,  # 80% warnings, breaches (docs/sla.md)
        # Customer health (docs/health.md): factor changes from the audit log into recomputes, and
        # the scores a factor changes by time alone (a card expiring, a contract nearing its end).
        "onboarding.health.tasks.health_follow_task": 10,
        "onboarding.health.tasks.health_reviews_task": 300,
        # Outbound webhooks (docs/webhooks.md): audit entries to deliveries and replays, then
        # sending.
        "onboarding.webhooks.tasks.webhooks_dispatch_task": 2,
        # Sending also seals and dispatches what was just recorded first, so it runs every second.
        "onboarding.webhooks.tasks.webhooks_deliver_task": 1,
    }
