"""`manage.py run_relay` as a real process: killed mid-run, restarted, stopped politely."""

import signal
from collections import defaultdict

import pytest

from onboarding.notifications.models import Notification, OutboxMessage, OutboxStatus
from tests.factories import UserFactory
from tests.notifications.conftest import send
from tests.waiting import wait_until

TOTAL = 500
RECIPIENTS = 50
KILLS = 1


def mailbox_view(received) -> dict[str, dict[str, object]]:
    """What each recipient's mailbox shows: like a real mailbox store, one Message-ID is filed
    once per recipient, however many times it was delivered."""
    boxes: dict[str, dict[str, object]] = defaultdict(dict)
    for mail in received:
        for address in mail.recipients:
            boxes[address].setdefault(mail.message_id, mail)
    return boxes


@pytest.fixture
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_relay_killed_mid_run_and_restarted_delivers_every_email_with_at_most_one_duplicate_per_kill(  # noqa: E501
    fast_passwords, smtp_server, relay_process
):
    users = UserFactory.create_batch(RECIPIENTS)
    notifications = [
        send(users[n % RECIPIENTS], f"kill-test:{n}", channels=["email"]) for n in range(TOTAL)
    ]
    expected = {(n.to_email, n.message_id) for n in notifications}
    sink = smtp_server.sink
    env = {"OUTBOX_LEASE_SECONDS": 2, "OUTBOX_BATCH_SIZE": 20}

    relay = relay_process(email_url=smtp_server.url, **env)
    wait_until(
        lambda: len(sink.messages()) >= 60, timeout=60, what="the first relay to send some mail"
    )
    relay.kill(signal.SIGKILL)
    at_kill = len(sink.messages())
    assert at_kill < TOTAL, "the relay finished before it could be killed mid-run"

    restarted = relay_process(email_url=smtp_server.url, **env)
    wait_until(
        lambda: not OutboxMessage.objects.exclude(status=OutboxStatus.SENT).exists(),
        timeout=120,
        what="the restarted relay to drain the outbox",
    )
    assert restarted.kill(signal.SIGTERM) == 0

    received = sink.messages()
    boxes = mailbox_view(received)
    filed = {(address, message_id) for address, box in boxes.items() for message_id in box}
    duplicates = len(received) - TOTAL
    print(
        f"\n{TOTAL} notifications, {len(received)} SMTP deliveries "
        f"({duplicates} duplicate(s) after {KILLS} SIGKILL; {at_kill} had arrived at the kill)"
    )
    assert filed == expected  # every notification arrived, in the right mailbox
    assert sum(len(box) for box in boxes.values()) == TOTAL  # each Message-ID filed once
    assert TOTAL <= len(received) <= TOTAL + KILLS
    assert OutboxMessage.objects.filter(status=OutboxStatus.SENT).count() == TOTAL
    assert Notification.objects.count() == TOTAL


@pytest.mark.django_db(transaction=True)
def test_run_relay_once_drains_the_outbox_and_exits(customer, smtp_server, relay_process):
    for n in range(3):
        send(customer, f"once:{n}", channels=["email", "in_app"])

    relay = relay_process(email_url=smtp_server.url, args=("--once",))

    assert relay.wait(timeout=60) == 0, relay.output()
    assert len(smtp_server.sink.to(customer.email)) == 3
    assert customer.inbox_messages.count() == 3


@pytest.mark.django_db(transaction=True)
def test_sigterm_stops_a_waiting_relay_cleanly(smtp_server, relay_process):
    relay = relay_process(email_url=smtp_server.url, args=("--interval", "30"), LOG_LEVEL="INFO")
    wait_until(lambda: "relay started" in relay.output(), timeout=30, what="the relay to start")

    assert relay.kill(signal.SIGTERM) == 0
    assert '"message": "relay stopped"' in relay.output()
