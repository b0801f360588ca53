"""A receiver that answers at once but trickles its body (one byte at a time, each within the
read timeout) cannot hold the sender past its deadline: the attempt ends with what was read."""

import time

import pytest

from onboarding.webhooks.guard import url_check
from onboarding.webhooks.sender import post
from tests.webhooks.helpers import trickling_server


@pytest.fixture
def trickler():
    """Headers at once, then one byte of body every 0.2 s."""
    with trickling_server(
        first=b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", then=b"x" * 100000
    ) as url:
        yield url


def test_a_trickled_body_stops_at_the_deadline(trickler, settings):
    settings.WEBHOOKS_CONNECT_TIMEOUT_SECONDS = 1
    settings.WEBHOOKS_READ_TIMEOUT_SECONDS = 1
    started = time.monotonic()

    result = post(target=url_check(trickler), body=b"{}", headers={})

    assert time.monotonic() - started < 4
    assert result.status_code == 200 and result.excerpt.startswith("x")
