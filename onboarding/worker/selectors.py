from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from onboarding.worker.models import WorkerHeartbeat


def worker_heartbeat_is_fresh() -> bool:
    """True when at least one task worker has beaten its heart within the stale window."""
    since = timezone.now() - timedelta(seconds=settings.WORKER_STALE_AFTER_SECONDS)
    return WorkerHeartbeat.objects.filter(last_seen_at__gte=since).exists()
