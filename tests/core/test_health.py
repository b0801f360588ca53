"""/healthz (alive) and /readyz (database, a fresh worker heartbeat, Redis when configured)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from onboarding.worker.models import WorkerHeartbeat
from tests.services import free_port


@pytest.fixture
def fresh_worker(db):
    now = timezone.now()
    return WorkerHeartbeat.objects.create(
        worker_id="worker-test-1", hostname="test", pid=1, started_at=now, last_seen_at=now
    )


def test_healthz_answers_without_any_dependency(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_with_database_and_a_fresh_worker(client, fresh_worker):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "worker": "ok"}}


def test_not_ready_without_any_worker_heartbeat(client, db):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert "heartbeat" in body["checks"]["worker"]
    assert body["checks"]["database"] == "ok"


def test_not_ready_when_the_last_heartbeat_is_stale(settings, client, fresh_worker):
    settings.WORKER_STALE_AFTER_SECONDS = 30
    fresh_worker.last_seen_at = timezone.now() - timedelta(seconds=31)
    fresh_worker.save()
    assert client.get("/readyz").status_code == 503


def test_not_ready_when_configured_redis_is_down(settings, client, fresh_worker):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    response = client.get("/readyz")
    assert response.status_code == 503
    problem = response.json()["checks"]["redis"]
    assert problem.startswith("redis unavailable: ")
    assert "127.0.0.1" not in problem  # names the kind of failure, not the address


def test_ready_when_configured_redis_answers(client, fresh_worker, redis_url):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["redis"] == "ok"


def test_health_answers_are_never_cached(client, fresh_worker):
    assert "no-store" in client.get("/readyz")["Cache-Control"]
    assert "no-store" in client.get("/healthz")["Cache-Control"]


@pytest.fixture
def hashed_static_names(settings, tmp_path):
    """The production storage (pages name hashed files) over an empty STATIC_ROOT."""
    settings.STATIC_ROOT = str(tmp_path)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    return tmp_path


def test_not_ready_when_static_files_were_never_collected(
    client, fresh_worker, hashed_static_names
):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["static_files"] == (
        "static files not collected: run manage.py collectstatic, then restart"
    )


def test_ready_once_collectstatic_wrote_its_manifest(client, fresh_worker, hashed_static_names):
    (hashed_static_names / "staticfiles.json").write_text(
        '{"version": "1.1", "paths": {"css/app.css": "css/app.0123456789ab.css"}, "hash": "x"}'
    )
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["static_files"] == "ok"


def test_not_ready_when_the_static_manifest_is_not_json(client, fresh_worker, hashed_static_names):
    (hashed_static_names / "staticfiles.json").write_text("{not json")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "manifest unreadable" in response.json()["checks"]["static_files"]
