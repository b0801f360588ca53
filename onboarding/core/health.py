"""Liveness (/healthz) and readiness (/readyz) for load balancers and orchestrators."""

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse

from onboarding.worker.selectors import worker_heartbeat_is_fresh


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means not ready
        return f"database unavailable: {exc.__class__.__name__}"
    return None


def _check_redis() -> str | None:
    if not settings.REDIS_URL:
        return None
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError as exc:
        return f"redis unavailable: {exc.__class__.__name__}"
    return None


def _check_worker() -> str | None:
    if not worker_heartbeat_is_fresh():
        return "no task worker has reported a heartbeat recently"
    return None


def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database()}
    if checks["database"] is None:
        checks["worker"] = _check_worker()
    checks["redis"] = _check_redis()
    failures = {name: problem for name, problem in checks.items() if problem}
    body = {
        "status": "ready" if not failures else "not ready",
        "checks": {name: (problem or "ok") for name, problem in checks.items()},
    }
    return JsonResponse(body, status=200 if not failures else 503)
