"""Worker tasks that span apps (they live in config/ for the reason config/staff_counts.py
does). The scheduler enqueues them by dotted path (settings.WORKER_PERIODIC_TASKS)."""

from django_tasks import task

from config.staff_counts import staff_counts_refresh_if_wanted


@task()
def staff_nav_counts_refresh() -> dict[str, int] | None:
    """Periodic: count the staff navigation's work waiting and store it for pages to read, while
    staff pages want it (None when nobody does, or another worker is counting)."""
    stored = staff_counts_refresh_if_wanted()
    return None if stored is None else stored.counts
