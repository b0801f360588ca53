"""JSON log lines, each carrying the id of the request that wrote it."""

import io
import json
import logging

import pytest

from onboarding.core.logging import RequestIdFilter


@pytest.fixture
def log_lines():
    """What the configured console handler (settings.LOGGING) writes, as parsed JSON lines."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RequestIdFilter) for f in h.filters)
    )
    buffer = io.StringIO()
    previous = handler.setStream(buffer)

    def read() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]

    yield read
    handler.setStream(previous)


def test_every_line_of_a_request_carries_its_request_id(client, db, log_lines):
    client.get("/no-such-page/", headers={"X-Request-ID": "req-logging-000001"})
    lines = log_lines()
    loggers = {line["logger"] for line in lines}
    assert {"django.request", "onboarding.access"} <= loggers  # a warning and the access line
    assert {line["request_id"] for line in lines} == {"req-logging-000001"}


def test_lines_have_time_level_logger_and_message(client, db, log_lines):
    client.get("/", headers={"X-Request-ID": "req-logging-000002"})
    access = next(line for line in log_lines() if line["logger"] == "onboarding.access")
    assert {"time", "level", "logger", "message", "request_id"} <= access.keys()
    assert access["level"] == "INFO"
    assert access["status"] == 200
    assert access["method"] == "GET"


def test_access_line_names_the_route_not_the_path(client, db, log_lines):
    # Paths can carry secrets (password-reset keys); the route pattern cannot.
    client.get("/accounts/password/reset/key/abc-secretkey123/")
    access = next(line for line in log_lines() if line["logger"] == "onboarding.access")
    assert "secretkey123" not in json.dumps(access)
    assert access["route"].startswith("accounts/password/reset/key/")


def test_two_requests_log_two_different_ids(client, db, log_lines):
    client.get("/")
    client.get("/")
    ids = [line["request_id"] for line in log_lines() if line["logger"] == "onboarding.access"]
    assert len(ids) == 2 and ids[0] != ids[1]


def test_unsafe_incoming_request_id_is_replaced(client, db, log_lines):
    response = client.get("/", headers={"X-Request-ID": "evil\nforged line"})
    assert response["X-Request-ID"] != "evil\nforged line"
    assert {line["request_id"] for line in log_lines()} == {response["X-Request-ID"]}


def test_lines_outside_a_request_say_so(log_lines):
    logging.getLogger("onboarding.test").warning("background note")
    assert log_lines()[-1]["request_id"] == "-"
