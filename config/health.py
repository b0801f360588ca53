"""Liveness (/healthz) and readiness (/readyz) for load balancers and orchestrators.

/healthz says the process answers (no dependencies: a database outage must not get every web
process restarted); onboarding.core.middleware.LivenessMiddleware answers it before sessions and
authentication run, so a probe costs no query. /readyz says it can do useful work: the database
answers, a task worker has reported a heartbeat recently, Redis answers when REDIS_URL is
configured, and, where pages name static files by their hashed names, collectstatic has written
the manifest (without it every page is a 500). Problems are named by kind only (an exception
class), never with connection strings or messages.
"""

import redis
from django.conf import STATICFILES_STORAGE_ALIAS, settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache

from onboarding.core.middleware import liveness_response
from onboarding.worker.selectors import worker_heartbeat_is_fresh

REDIS_TIMEOUT_SECONDS = 1.0


def healthz(request: HttpRequest) -> JsonResponse:
    """Reached only where LivenessMiddleware is not installed; it answers /healthz first."""
    return liveness_response()


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means not ready
        return f"database unavailable: {exc.__class__.__name__}"
    return None


def _check_redis() -> str | None:
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        return f"redis unavailable: {exc.__class__.__name__}"
    finally:
        client.close()
    return None


def _check_worker() -> str | None:
    try:
        fresh = worker_heartbeat_is_fresh()
    except Exception as exc:  # a missing table after a bad deploy is "not ready", not a 500
        return f"worker heartbeat unreadable: {exc.__class__.__name__}"
    if not fresh:
        return "no task worker has reported a heartbeat recently"
    return None


def _uses_hashed_static_names() -> bool:
    backend = settings.STORAGES[STATICFILES_STORAGE_ALIAS]["BACKEND"]
    return issubclass(import_string(backend), ManifestFilesMixin)


def _check_static_files() -> str | None:
    # The storage reads the manifest once, when this process first names a static file: what
    # counts is what this process holds, not whether the file has appeared since.
    try:
        hashed_files = staticfiles_storage.hashed_files
    except ValueError as exc:  # a manifest that is not JSON, or of an unknown version
        return f"static files manifest unreadable: {exc.__class__.__name__}"
    if not hashed_files:
        return "static files not collected: run manage.py collectstatic, then restart"
    return None


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database()}
    if checks["database"] is None:
        checks["worker"] = _check_worker()
    if settings.REDIS_URL:
        checks["redis"] = _check_redis()
    if _uses_hashed_static_names():
        checks["static_files"] = _check_static_files()
    failures = {name: problem for name, problem in checks.items() if problem}
    body = {
        "status": "ready" if not failures else "not ready",
        "checks": {name: (problem or "ok") for name, problem in checks.items()},
    }
    return JsonResponse(body, status=200 if not failures else 503)
