"""Background work for the health score: thin wrappers around follow.py.

Periodic (settings.WORKER_PERIODIC_TASKS): following the audit log into health.review
messages, recomputing the scores whose review_at has come (and firing the acknowledgement timer
of the managers' reviews of a fall into red), and the managers' queue's counts.
On demand: re-scoring every customer after the settings changed, one batch per task, each batch
queueing the next.
"""

from django_tasks import task

from onboarding.audit.services import audit_seal_pending
from onboarding.health import follow
from onboarding.health.counts import health_counts_refresh_if_wanted
from onboarding.health.reviews import health_reviews_unacknowledged_fire
from onboarding.worker.services import task_enqueue_once


@task()
def health_follow_task() -> dict:
    """Periodic: seal what was recorded, then turn factor changes into health.review messages."""
    audit_seal_pending()
    report = follow.health_follow()
    return {"entries": report.entries, "customers": report.customers, "seq": report.last_seq}


@task()
def health_reviews_task() -> dict:
    """Periodic: recompute the scores a factor changed by time alone (card expiry, ...), then
    fire the acknowledgement timer of the managers' reviews nobody acknowledged in time."""
    recomputed = follow.health_reviews_due()
    return {
        "recomputed": recomputed,
        "unacknowledged": health_reviews_unacknowledged_fire(),
    }


@task()
def health_counts_task() -> dict | None:
    """Periodic: count the managers' queue's customers per band and score and store the counts,
    while the queue's pages want them (counts.py); None when nobody does or another counts."""
    stored = health_counts_refresh_if_wanted()
    return None if stored is None else {band: sum(m.values()) for band, m in stored.by_band.items()}


@task()
def health_rescore_task(after_id: int = 0, generation: str = "") -> dict:
    """Re-score the customers after `after_id` in one batch, then queue the next batch."""
    last = follow.health_rescore_batch(after_id=after_id)
    if last is not None:
        health_rescore_enqueue(after_id=last, generation=generation)
    return {"after_id": after_id, "last_id": last}


def health_rescore_enqueue(*, after_id: int = 0, generation: str = "") -> None:
    """Queue the re-score's batch after `after_id`; `generation` (the settings' save moment)
    keeps two settings changes' runs apart and one run's batch from being queued twice."""
    task_enqueue_once(
        health_rescore_task,
        key=f"health-rescore:{generation}:{after_id}",
        kwargs={"after_id": after_id, "generation": generation},
    )
