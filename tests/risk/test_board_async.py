"""The live board's event stream under ASGI (django.test.AsyncClient): woken by the Redis
Stream (a Redis of the test's own, tests/private_redis.py) or, without Redis, by polling the
database; resumed from Last-Event-ID; refused to anyone but staff; and many boards open at once
in one event loop, none holding a thread."""

import asyncio
import gc
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.http import Http404
from django.test import AsyncClient, AsyncRequestFactory
from django.utils import timezone

from onboarding.risk import views
from onboarding.risk.models import RiskEvent
from tests.acceptance.conftest import deliver_outbox
from tests.risk.test_board import raise_red

pytestmark = pytest.mark.django_db(transaction=True)

# Longer than any wait below: a board that gets a risk got it from the stream, not from the
# stream ending and a reconnect.
STREAM_SECONDS = 30


def run(coroutine_function):
    """Run a scenario in an event loop of its own thread: the test's thread may have one
    running already (Playwright's, after a browser test in the same process)."""

    async def scenario():
        try:
            return await coroutine_function()
        finally:
            # asgiref's shared thread (the middlewares ran there) keeps its connection otherwise.
            await sync_to_async(connections.close_all)()

    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, scenario()).result()
    finally:
        # The loop's pool threads have ended; their database connections (a cycle of objects)
        # close when collected, and PostgreSQL will not drop the test database while they live.
        gc.collect()


def staff_board_client(user) -> AsyncClient:
    client = AsyncClient()
    client.force_login(user)
    return client


def raise_and_publish(sysops, number: str) -> RiskEvent:
    """A red rating nobody acknowledged, through the real services, and the relay's delivery
    of it to the Redis Stream."""
    event = raise_red(sysops, number)
    deliver_outbox()
    return event


class Board:
    """One open event stream, read as the browser's EventSource would."""

    def __init__(self, response) -> None:
        assert response.status_code == 200, response.status_code
        assert response["Content-Type"] == "text/event-stream"
        self.chunks = aiter(response.streaming_content)
        self.body = ""

    async def read_until(self, text: str, timeout: float) -> str:
        async def read() -> str:
            while text not in self.body:
                self.body += (await anext(self.chunks)).decode()
            return self.body

        return await asyncio.wait_for(read(), timeout)

    async def read_to_end(self, timeout: float) -> str:
        async def read() -> str:
            async for chunk in self.chunks:
                self.body += chunk.decode()
            return self.body

        return await asyncio.wait_for(read(), timeout)

    async def close(self) -> None:
        await self.chunks.aclose()


async def open_board(client: AsyncClient, path: str = "/staff/risk/events?after=0", **headers):
    board = Board(await client.get(path, headers=headers))
    # The first keep-alive follows the read at connect: from here on, a new risk is news.
    await board.read_until(": keep-alive\n\n", timeout=20)
    return board


def test_redis_stream_wakes_the_board_with_a_new_risk(private_redis, sysops, manager, settings):
    settings.RISK_BOARD_STREAM_SECONDS = STREAM_SECONDS
    settings.RISK_BOARD_POLL_SECONDS = 60  # a poll could not deliver within the wait below
    client = staff_board_client(sysops)

    async def scenario():
        board = await open_board(client)
        try:
            event = await sync_to_async(raise_and_publish)(sysops, "CTR-2026-000401")
            body = await board.read_until(f"id: {event.pk}\nevent: risk\n", timeout=10)
        finally:
            await board.close()
        return event, body

    event, body = run(scenario)
    assert body.startswith("retry: 1000\n\n")
    assert body.count("event: risk\n") == 1
    assert str(event.event_id) in body and "CTR-2026-000401" in body
    assert f'id=\\"risk-{event.pk}\\"' in body  # the rendered row, with a CSRF token to resolve it
    assert 'name=\\"csrfmiddlewaretoken\\" value=\\"' in body
    assert 'value=\\"\\"' not in body


def test_without_redis_the_board_polls_the_database(sysops, manager, settings):
    settings.REDIS_URL = ""
    settings.RISK_BOARD_STREAM_SECONDS = STREAM_SECONDS
    settings.RISK_BOARD_POLL_SECONDS = 0.05
    client = staff_board_client(sysops)

    async def scenario():
        board = await open_board(client)
        try:
            event = await sync_to_async(raise_red)(sysops, "CTR-2026-000402")
            body = await board.read_until(f"id: {event.pk}\nevent: risk\n", timeout=10)
        finally:
            await board.close()
        return event, body

    event, body = run(scenario)
    assert str(event.event_id) in body and body.count("event: risk\n") == 1


def test_a_board_falls_back_to_polling_when_redis_goes_away(
    private_redis, sysops, manager, settings
):
    settings.RISK_BOARD_STREAM_SECONDS = STREAM_SECONDS
    settings.RISK_BOARD_POLL_SECONDS = 0.05
    settings.RISK_BOARD_KEEPALIVE_SECONDS = 1
    client = staff_board_client(sysops)

    async def scenario():
        board = await open_board(client)
        try:
            await sync_to_async(private_redis.stop)()
            event = await sync_to_async(raise_red)(sysops, "CTR-2026-000403")
            body = await board.read_until(f"id: {event.pk}\nevent: risk\n", timeout=15)
        finally:
            await board.close()
        return event, body

    event, body = run(scenario)
    assert str(event.event_id) in body


def test_a_reconnecting_board_gets_what_it_missed(private_redis, sysops, manager, settings):
    settings.RISK_BOARD_STREAM_SECONDS = 0  # the read at connect, then the stream ends
    seen = raise_and_publish(sysops, "CTR-2026-000404")
    RiskEvent.objects.filter(pk=seen.pk).update(occurred_at=timezone.now() - timedelta(hours=1))
    missed = raise_and_publish(sysops, "CTR-2026-000405")
    client = staff_board_client(sysops)

    async def scenario():
        response = await client.get("/staff/risk/events", headers={"Last-Event-ID": str(seen.pk)})
        return await Board(response).read_to_end(timeout=20)

    body = run(scenario)
    assert body.count("event: risk\n") == 1
    assert f"id: {missed.pk}\nevent: risk\n" in body
    assert str(missed.event_id) in body and str(seen.event_id) not in body


def test_the_stream_is_refused_to_anyone_but_staff(customer, settings):
    settings.RISK_BOARD_STREAM_SECONDS = 0

    async def scenario():
        anonymous = await AsyncClient().get("/staff/risk/events")
        customer_client = AsyncClient()
        await customer_client.aforce_login(customer)
        as_customer = await customer_client.get("/staff/risk/events")
        return anonymous, as_customer

    anonymous, as_customer = run(scenario)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert as_customer.status_code == 404 and not as_customer.streaming

    # The view refuses on its own too, should it ever be reached without the staff middleware.
    request = AsyncRequestFactory().get("/staff/risk/events")

    async def as_user():
        return customer

    request.auser = as_user

    async def call_view():
        return await views.events(request)

    with pytest.raises(Http404):
        run(call_view)


def test_many_boards_in_one_event_loop_each_get_the_risk_without_a_thread_each(
    private_redis, sysops, manager, settings
):
    boards_open = 50
    settings.RISK_BOARD_STREAM_SECONDS = STREAM_SECONDS
    settings.RISK_BOARD_POLL_SECONDS = 60
    clients = [staff_board_client(sysops) for _ in range(boards_open)]
    threads_before = threading.active_count()

    async def scenario():
        boards = await asyncio.gather(*(open_board(client) for client in clients))
        threads_while_open = threading.active_count()
        try:
            event = await sync_to_async(raise_and_publish)(sysops, "CTR-2026-000406")
            raised = time.monotonic()
            needle = f"id: {event.pk}\nevent: risk\n"
            await asyncio.gather(*(board.read_until(needle, timeout=20) for board in boards))
            delivered_after = time.monotonic() - raised
        finally:
            await asyncio.gather(*(board.close() for board in boards))
        return threads_while_open, delivered_after

    threads_while_open, delivered_after = run(scenario)
    # A board that held a thread (a sync stream) would add one per board; the shared pool that
    # reads the database for all of them is a handful.
    assert threads_while_open - threads_before < boards_open // 5
    assert delivered_after < STREAM_SECONDS / 2


def test_under_the_asgi_application_open_boards_hold_no_thread(
    private_redis, sysops, manager, settings
):
    # config.asgi as uvicorn runs it: Django's handler would keep a thread per request until
    # its response ends; the event stream's requests share asgiref's one thread instead.
    from asgiref.testing import ApplicationCommunicator

    from config.asgi import application

    boards_open = 30
    settings.RISK_BOARD_STREAM_SECONDS = STREAM_SECONDS
    settings.RISK_BOARD_POLL_SECONDS = 60
    client = staff_board_client(sysops)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/staff/risk/events",
        "raw_path": b"/staff/risk/events",
        "query_string": b"after=0",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"cookie", cookie.encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }

    async def read_until(board, text: str) -> str:
        body = ""
        while text not in body:
            message = await board.receive_output(timeout=20)
            assert message["type"] == "http.response.body" and message.get("more_body")
            body += message["body"].decode()
        return body

    async def open_one():
        board = ApplicationCommunicator(application, scope)
        await board.send_input({"type": "http.request", "body": b""})
        start = await board.receive_output(timeout=20)
        assert start["status"] == 200, start
        await read_until(board, ": keep-alive\n\n")
        return board

    async def scenario():
        threads_before = threading.active_count()
        boards = await asyncio.gather(*(open_one() for _ in range(boards_open)))
        threads_while_open = threading.active_count()
        try:
            event = await sync_to_async(raise_and_publish)(sysops, "CTR-2026-000407")
            needle = f"id: {event.pk}\nevent: risk\n"
            bodies = await asyncio.gather(*(read_until(board, needle) for board in boards))
        finally:
            for board in boards:
                await board.send_input({"type": "http.disconnect"})
                await board.wait(timeout=20)
        return threads_before, threads_while_open, bodies

    threads_before, threads_while_open, bodies = run(scenario)
    assert len(bodies) == boards_open
    assert threads_while_open - threads_before < boards_open // 3
