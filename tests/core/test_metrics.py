"""Prometheus metrics at /metrics: counted per route, shown only to loopback or a bearer token."""

import re

import pytest

TOKEN = "metrics-token-for-tests-0123456789"
OUTSIDE = "203.0.113.7"


def requests_counted(text: str, route: str, status: str) -> float:
    pattern = re.compile(
        r'^onboarding_http_requests_total\{method="GET",route="'
        + re.escape(route)
        + r'",status="'
        + status
        + r'"\} (\S+)$',
        re.M,
    )
    match = pattern.search(text)
    return float(match.group(1)) if match else 0.0


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def test_counter_shows_a_request_to_the_landing_page(client, db):
    before = requests_counted(client.get("/metrics").content.decode(), "home", "200")
    assert client.get("/").status_code == 200
    after = requests_counted(client.get("/metrics").content.decode(), "home", "200")
    assert after == before + 1


def test_metrics_are_in_the_prometheus_text_format(client, db):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"# TYPE onboarding_http_requests_total counter" in response.content


def test_invented_http_methods_share_one_label(client, db):
    client.generic("BREW", "/")
    assert b'method="other"' in client.get("/metrics").content
    assert b'method="BREW"' not in client.get("/metrics").content


def test_metrics_refused_to_another_machine(client, db):
    assert client.get("/metrics", REMOTE_ADDR=OUTSIDE).status_code == 403


def test_metrics_refused_to_loopback_relayed_by_a_proxy(client, db):
    response = client.get("/metrics", headers={"X-Forwarded-For": OUTSIDE})
    assert response.status_code == 403


def test_metrics_served_to_another_machine_with_the_token(client, metrics_token):
    response = client.get(
        "/metrics", REMOTE_ADDR=OUTSIDE, headers={"Authorization": f"Bearer {metrics_token}"}
    )
    assert response.status_code == 200


def test_metrics_refused_with_a_wrong_token(client, metrics_token):
    response = client.get(
        "/metrics", REMOTE_ADDR=OUTSIDE, headers={"Authorization": "Bearer not-the-token"}
    )
    assert response.status_code == 403


def test_no_token_configured_means_no_token_accepted(settings, client, db):
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", REMOTE_ADDR=OUTSIDE, headers={"Authorization": "Bearer "})
    assert response.status_code == 403


def test_metrics_served_to_ipv6_loopback(client, db):
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200
