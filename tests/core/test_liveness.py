"""/healthz is answered before sessions and authentication: a probe costs no query, whatever
cookies it carries, and still gets a request id, an access line and the security headers. It
is answered whatever the Host header says (a decision: docs/operations.md, "Health"), and echoes
none of it; every other path still refuses a host it does not serve."""

import io
import json
import logging

import pytest
from django.conf import settings

from onboarding.core.logging import RequestIdFilter

LIVENESS = "onboarding.core.middleware.LivenessMiddleware"


def test_liveness_is_answered_after_the_security_middleware_and_before_sessions():
    order = list(settings.MIDDLEWARE)
    assert LIVENESS in order
    position = order.index(LIVENESS)
    assert order.index("django.middleware.security.SecurityMiddleware") < position
    assert order.index("onboarding.core.middleware.RequestIdMiddleware") < position
    assert order.index("onboarding.core.metrics.MetricsMiddleware") < position
    assert position < order.index("django.contrib.sessions.middleware.SessionMiddleware")


def test_a_signed_in_probe_loads_no_session_and_no_user(customer_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = customer_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert settings.SESSION_COOKIE_NAME not in response.cookies  # the session was not touched


def test_a_probe_keeps_its_request_id_access_line_and_security_headers(client, db):
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RequestIdFilter) for f in h.filters)
    )
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        response = client.get("/healthz", headers={"X-Request-ID": "req-liveness-0001"})
    finally:
        handler.setStream(previous)
    assert response["X-Request-ID"] == "req-liveness-0001"
    assert response["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware ran
    lines = [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    access = [line for line in lines if line["logger"] == "onboarding.access"]
    assert len(access) == 1
    assert access[0]["route"] == "healthz"
    assert access[0]["status"] == 200
    assert access[0]["request_id"] == "req-liveness-0001"


def test_other_paths_still_go_through_the_whole_stack(client, db):
    # The CSP header is set further down the stack than the liveness answer.
    assert "Content-Security-Policy" in client.get("/")
    assert "Content-Security-Policy" not in client.get("/healthz")


def test_anonymous_pages_load_no_session_and_query_nothing(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/")
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies


# --- the Host header (docs/operations.md, "Health") ---------------------------------------------

BAD_HOST = "attacker.example"


@pytest.fixture
def production_hosts(settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["onboarding.example"]


def test_liveness_answers_whatever_the_host_and_echoes_none_of_it(client, production_hosts):
    # Deliberate: load balancers and kubelets probe by address (Host: 10.0.3.7:8000), and a
    # liveness failure restarts a healthy process. The answer is a constant: nothing to poison.
    response = client.get("/healthz", headers={"host": BAD_HOST})

    assert response.status_code == 200
    assert response.content == b'{"status": "ok"}'
    assert not response.cookies
    assert all(BAD_HOST not in str(value) for value in response.headers.values())


def test_every_other_path_refuses_a_host_it_does_not_serve(client, production_hosts, db):
    for path in ("/", "/readyz", "/healthz/", "/healthz/x", "/pricing/", "/api/v1/catalog/"):
        response = client.get(path, headers={"host": BAD_HOST})
        assert response.status_code == 400, path
    assert client.get("/readyz", headers={"host": "onboarding.example"}).status_code != 400
