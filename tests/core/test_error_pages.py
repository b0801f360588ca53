"""404, 403 and 500 pages: plain words, no details; the 500 page gives a reference to quote."""

import io
import json
import logging

import pytest
from django.test import Client
from django.urls import reverse

from onboarding.core.logging import RequestIdFilter
from tests.core.error_urls import SECRET_DETAIL

pytestmark = pytest.mark.urls("tests.core.error_urls")

RID = "err-page-test-000001"


@pytest.fixture
def failing_client(db) -> Client:
    # Answer with the 500 page, as a server does, instead of re-raising into the test.
    return Client(raise_request_exception=False)


@pytest.fixture
def log_lines():
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RequestIdFilter) for f in h.filters)
    )
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    handler.setStream(previous)


def test_server_error_page_shows_the_reference_to_quote(failing_client):
    response = failing_client.get("/boom/", headers={"X-Request-ID": RID})
    assert response.status_code == 500
    assert b"quote this reference" in response.content
    assert RID.encode() in response.content


def test_server_error_page_leaks_no_detail(failing_client):
    response = failing_client.get("/boom/", headers={"X-Request-ID": RID})
    assert SECRET_DETAIL.encode() not in response.content
    assert b"Traceback" not in response.content
    assert b"RuntimeError" not in response.content


def test_server_error_is_logged_with_the_reference_and_the_traceback(failing_client, log_lines):
    failing_client.get("/boom/", headers={"X-Request-ID": RID})
    lines = [line for line in log_lines() if line["level"] == "ERROR"]
    assert lines and all(line["request_id"] == RID for line in lines)
    assert any(f"reference {RID}" in line["message"] for line in lines)
    assert any("RuntimeError" in line.get("exc_info", "") for line in lines)


def test_api_server_error_is_json_with_the_reference(failing_client):
    response = failing_client.get("/api/v1/boom/", headers={"X-Request-ID": RID})
    assert response.status_code == 500
    assert response.json() == {
        "detail": "Something went wrong on our side.",
        "code": "server_error",
        "reference": RID,
    }


def test_not_found_page_is_ours_and_does_not_echo_the_path(client, db):
    response = client.get("/no-such-page-<script>/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert b"no-such-page" not in response.content
    assert b'class="topbar"' in response.content


def test_not_found_under_the_api_is_json(client, db):
    response = client.get("/api/v2/nothing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_forbidden_page_is_ours_and_leaks_no_detail(client, db):
    response = client.get("/forbidden/")
    assert response.status_code == 403
    assert b"Not allowed" in response.content
    assert SECRET_DETAIL.encode() not in response.content


def test_csrf_failure_page_explains_without_internals(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("account_login"), {"login": "a@example.com", "password": "x"})
    assert response.status_code == 403
    assert b"reload the page" in response.content
    assert b"CSRF cookie not set" not in response.content


def test_request_for_a_foreign_host_gets_our_400_page(client, db):
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert b"Bad request" in response.content
    assert b"evil.example" not in response.content
