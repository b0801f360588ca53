"""A receiver that answers at once but trickles its body (one byte at a time, each within the
read timeout) cannot hold the sender past its deadline: the attempt ends with what was read."""

import socket
import threading
import time

import pytest

from onboarding.webhooks.guard import url_check
from onboarding.webhooks.sender import post


@pytest.fixture
def trickler():
    """A loopback server: reads the request, sends a status line and headers, then one byte of
    body every 0.2 s until told to stop."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            while not stop.wait(0.2):
                try:
                    connection.sendall(b"x")
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/hooks"
    stop.set()
    server.close()
    thread.join(5)


def test_a_trickled_body_stops_at_the_deadline(trickler, settings):
    settings.WEBHOOKS_CONNECT_TIMEOUT_SECONDS = 1
    settings.WEBHOOKS_READ_TIMEOUT_SECONDS = 1
    started = time.monotonic()

    result = post(target=url_check(trickler), body=b"{}", headers={})

    assert time.monotonic() - started < 4
    assert result.status_code == 200 and result.excerpt.startswith("x")
