"""The relay woken by PostgreSQL LISTEN/NOTIFY when outbox rows commit, its poll as the fallback.

Every relay here polls every 30 s, so a message delivered within a few seconds was delivered
because the relay was woken. On SQLite there is no listener and the relay polls as before.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from onboarding.core.roles import Role
from onboarding.notifications.models import OutboxMessage, OutboxStatus
from onboarding.notifications.relay import OUTBOX_WAKEUP_CHANNEL, relay_loop, relay_wakeup
from onboarding.notifications.services import outbox_requeue
from onboarding.notifications.wakeup import Wakeup
from tests.factories import UserFactory
from tests.notifications.conftest import send
from tests.waiting import wait_until

LONG_POLL = 30.0
# Well under LONG_POLL, generous for a busy 2-core machine.
DEADLINE = 5.0


class Rollback(Exception):
    pass


def status_of(message: OutboxMessage) -> str:
    return OutboxMessage.objects.values_list("status", flat=True).get(pk=message.pk)


def listener_pids(channel: str) -> list[int]:
    """Backends of this database listening on `channel` (how an operator would find them)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = %s",
            [f'LISTEN "{channel}"'],
        )
        return [row[0] for row in cursor.fetchall()]


def terminate(pids: list[int]) -> None:
    with connection.cursor() as cursor:
        for pid in pids:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


class RelayThread:
    """relay_loop in a thread of this process, polling every LONG_POLL seconds."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.wakeup = relay_wakeup()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            relay_loop(
                worker_id="wakeup-test-relay",
                interval=LONG_POLL,
                stop=self.stop,
                wakeup=self.wakeup,
            )
        finally:
            connections.close_all()

    def start(self) -> "RelayThread":
        self.thread.start()
        self.wait_idle()
        return self

    def wait_idle(self) -> None:
        """Until the relay listens and waits out its poll (its passes are done)."""
        wait_until(
            lambda: self.wakeup.listening and self.wakeup.waiting,
            timeout=30,
            what="the relay to listen and wait",
        )

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()


@pytest.fixture
def relay_thread(require_postgres, transactional_db):
    started: list[RelayThread] = []

    def start() -> RelayThread:
        relay = RelayThread().start()
        started.append(relay)
        return relay

    yield start
    for relay in started:
        relay.close()


def test_on_sqlite_the_relay_has_no_listener_and_polls(db, customer):
    if connection.vendor == "postgresql":
        pytest.skip("the SQLite leg's behaviour")
    assert relay_wakeup() is None
    assert Wakeup(OUTBOX_WAKEUP_CHANNEL).enabled is False


@pytest.mark.postgres
def test_the_relay_wakes_on_a_committed_message_long_before_its_poll(relay_thread, customer):
    relay = relay_thread()
    heard = relay.wakeup.woken

    started = time.monotonic()
    with transaction.atomic():
        notification = send(customer, "wake:1", channels=["in_app"])
    message = notification.deliveries.get()
    wait_until(
        lambda: status_of(message) == OutboxStatus.SENT,
        timeout=DEADLINE,
        what="the woken relay to deliver the message",
    )

    assert time.monotonic() - started < DEADLINE < LONG_POLL
    assert relay.wakeup.woken > heard


@pytest.mark.postgres
def test_a_rolled_back_message_wakes_no_one(require_postgres, transactional_db, customer):
    wakeup = Wakeup(OUTBOX_WAKEUP_CHANNEL)
    try:
        assert wakeup.wait(0) is True  # the first call connects and says "look now"
        assert wakeup.listening

        with pytest.raises(Rollback), transaction.atomic():
            send(customer, "rolled-back:1", channels=["in_app"])
            raise Rollback

        # Nothing is heard for a whole second (a bounded wait is the thing under test here).
        assert wakeup.wait(1.0) is False
        assert wakeup.woken == 0
        assert not OutboxMessage.objects.filter(dedupe_key__startswith="notification:").exists()

        with transaction.atomic():
            send(customer, "committed:1", channels=["in_app"])
        started = time.monotonic()
        assert wakeup.wait(DEADLINE) is True
        assert time.monotonic() - started < DEADLINE
        assert wakeup.woken == 1  # the row insert's notifications folded into one
    finally:
        wakeup.close()


@pytest.mark.postgres
def test_a_relay_whose_listening_connection_is_killed_listens_again_and_keeps_delivering(
    relay_thread, customer
):
    relay = relay_thread()
    [listener] = listener_pids(OUTBOX_WAKEUP_CHANNEL)

    terminate([listener])
    wait_until(lambda: relay.wakeup.connects == 2, timeout=DEADLINE, what="a new listener")
    relay.wait_idle()
    listeners = listener_pids(OUTBOX_WAKEUP_CHANNEL)
    assert listeners and listener not in listeners
    heard = relay.wakeup.woken

    with transaction.atomic():
        notification = send(customer, "after-kill:1", channels=["in_app"])
    message = notification.deliveries.get()
    wait_until(
        lambda: status_of(message) == OutboxStatus.SENT,
        timeout=DEADLINE,
        what="the relay to deliver after its listener was killed",
    )
    assert relay.wakeup.woken > heard


@pytest.mark.postgres
def test_two_relays_both_wake_and_each_message_is_sent_once(relay_thread, customer):
    relays = [relay_thread(), relay_thread()]
    heard = [relay.wakeup.woken for relay in relays]

    with transaction.atomic():
        notifications = [send(customer, f"two-relays:{n}", channels=["in_app"]) for n in range(20)]
    messages = [n.deliveries.get() for n in notifications]
    wait_until(
        lambda: all(status_of(m) == OutboxStatus.SENT for m in messages),
        timeout=DEADLINE,
        what="the two relays to deliver every message",
    )

    assert all(relay.wakeup.woken > before for relay, before in zip(relays, heard, strict=True))
    assert customer.inbox_messages.count() == 20


@pytest.mark.postgres
def test_a_message_requeued_by_an_admin_wakes_the_relay(relay_thread, customer):
    with transaction.atomic():
        notification = send(customer, "requeue:1", channels=["in_app"])
    message = notification.deliveries.get()
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.DEAD)
    relay = relay_thread()
    heard = relay.wakeup.woken

    outbox_requeue(message_id=message.pk, actor=UserFactory(role=Role.ADMIN))
    wait_until(
        lambda: status_of(message) == OutboxStatus.SENT,
        timeout=DEADLINE,
        what="the relay to deliver the re-queued message",
    )
    assert relay.wakeup.woken > heard


@pytest.mark.postgres
def test_a_listening_connection_cut_soon_after_it_is_made_backs_off(
    require_postgres, transactional_db
):
    # A pooler or proxy that accepts and then cuts the connection must not make a tight loop.
    wakeup = Wakeup(OUTBOX_WAKEUP_CHANNEL)
    try:
        delays = []
        for _ in range(3):
            assert wakeup.wait(0) is True and wakeup.listening
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = %s",
                    [f'LISTEN "{OUTBOX_WAKEUP_CHANNEL}"'],
                )
            wait_until(lambda: not wakeup.wait(0.05) and not wakeup.listening, timeout=DEADLINE)
            delays.append(wakeup._retry_at - time.monotonic())
            wakeup._retry_at = 0.0  # connect again now, to be cut again
        assert all(delay > 0.1 for delay in delays), delays
        assert delays[2] > delays[0], delays  # and backs off further each time
    finally:
        wakeup.close()
