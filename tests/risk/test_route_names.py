"""The access log and the metrics name the route a request was for, also when a middleware
answered before the URL resolver ran: the live board's stream refused to a signed-out board
(its session expired) under the ASGI server is "staff/risk/events", not "unmatched", which
stays for paths no pattern matches."""

import io
import json
import logging
from contextlib import contextmanager

import pytest
from asgiref.testing import ApplicationCommunicator
from django.test import Client

# Imported before any test: its django.setup() configures logging afresh (new handlers).
from config.asgi import application
from onboarding.core.logging import RequestIdFilter
from tests.risk.test_board_async import run

pytestmark = pytest.mark.django_db(transaction=True)

EVENTS = "/staff/risk/events"


@contextmanager
def access_lines():
    """The access log's lines written while open, parsed."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RequestIdFilter) for f in h.filters)
    )
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        handler.setStream(previous)
        parsed = (json.loads(line) for line in buffer.getvalue().splitlines() if line.strip())
        lines.extend(line for line in parsed if line["logger"] == "onboarding.access")


def asgi_get(path: str, cookie: str = "") -> int:
    """GET `path` from config.asgi's application, as the events server serves it; the status."""
    headers = [(b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"after=0",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }

    async def scenario() -> int:
        communicator = ApplicationCommunicator(application, scope)
        await communicator.send_input({"type": "http.request", "body": b""})
        start = await communicator.receive_output(20)
        while (await communicator.receive_output(20)).get("more_body"):
            pass
        await communicator.wait(5)
        return start["status"]

    return run(scenario)


def test_a_signed_out_board_refused_by_the_events_server_is_logged_with_its_route():
    with access_lines() as lines:
        status = asgi_get(EVENTS)
    assert status == 302  # to sign in
    assert [(line["route"], line["status"]) for line in lines] == [("staff/risk/events", 302)]


def test_the_events_server_logs_an_open_board_with_its_route(sysops, settings):
    settings.RISK_BOARD_STREAM_SECONDS = 0.5
    settings.RISK_BOARD_POLL_SECONDS = 0.1
    client = Client()
    client.force_login(sysops)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    with access_lines() as lines:
        assert asgi_get(EVENTS, cookie) == 200
    assert [(line["route"], line["status"]) for line in lines] == [("staff/risk/events", 200)]


def test_a_customer_refused_at_a_staff_page_is_logged_with_its_route(customer_client):
    with access_lines() as lines:
        assert customer_client.get("/staff/risk/").status_code == 404
    assert [line["route"] for line in lines] == ["staff/risk/"]


def test_a_path_no_pattern_matches_is_still_unmatched(client):
    with access_lines() as lines:
        assert client.get("/no/such/page/4111111111111111").status_code == 404
    assert [line["route"] for line in lines] == ["unmatched"]
