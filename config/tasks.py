"""Worker tasks that span apps (they live in config/ for the reason config/staff_counts.py
does). The scheduler enqueues them by dotted path (settings.WORKER_PERIODIC_TASKS)."""

from django_tasks import task

from config.staff_counts import staff_counts_refresh


@task()
def staff_nav_counts_refresh() -> dict[str, int] | None:
    """Periodic: count the staff navigation's work waiting and store it for pages to read."""
    stored = staff_counts_refresh()
    return None if stored is None else stored.counts
