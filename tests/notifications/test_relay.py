"""The relay, run in this process against a real SMTP server on loopback and the real database."""

import threading
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.notifications.models import InboxMessage, OutboxMessage, OutboxStatus, SentMail
from onboarding.notifications.registry import (
    DeliveryBatch,
    PermanentDeliveryError,
    handler_for,
    register_outbox_handler,
    unregister_outbox_handler,
)
from onboarding.notifications.relay import (
    OUTBOX_DEAD_TOPIC,
    outbox_claim,
    outbox_deliver,
    relay_run_batch,
    retry_delay_seconds,
)
from onboarding.notifications.services import Attachment, outbox_publish, outbox_requeue
from tests.factories import UserFactory
from tests.notifications.conftest import (
    CountingSink,
    RefusingSink,
    point_email_at,
    send,
    smtp_server_with,
)
from tests.services import free_port
from tests.system.test_fault_matrix import database_refuses


def _row(notification, channel="email") -> OutboxMessage:
    return notification.deliveries.get(channel=channel)


# --- Email over SMTP -----------------------------------------------------------------------------


def test_an_email_arrives_with_text_html_attachment_and_identity_headers(
    customer, smtp_mail, media, deliver
):
    path = default_storage.save("contracts/c.pdf", ContentFile(b"%PDF-1.4 contract"))
    notification = send(
        customer,
        "contract:1",
        channels=["email"],
        attachments=[Attachment("contract.pdf", "application/pdf", path)],
    )

    stats = deliver()

    assert stats.sent == 1
    [mail] = smtp_mail.sink.to(customer.email)
    assert mail.message_id == notification.message_id
    assert mail.message["X-Onboarding-Notification"] == str(notification.pk)
    assert mail.message["Idempotency-Key"] == notification.idempotency_key
    assert "Body of contract:1" in mail.text()
    assert "<p>Body of contract:1</p>" in mail.html()
    assert mail.attachments() == [("contract.pdf", "application/pdf", b"%PDF-1.4 contract")]
    assert _row(notification).status == OutboxStatus.SENT


def test_delivery_is_recorded_in_the_audit_log(customer, smtp_mail, deliver):
    notification = send(customer, "audited", channels=["email"])
    deliver()
    entry = AuditEntry.objects.get(action="notification.delivered")
    assert entry.object_id == str(notification.pk)
    assert entry.customer_id == customer.pk
    assert entry.changes["channel"] == "email"


def test_one_batch_shares_one_smtp_connection(settings, db, deliver):
    server = smtp_server_with(CountingSink())
    server.start()
    try:
        point_email_at(settings, server.port)
        users = UserFactory.create_batch(3)
        for n in range(6):
            send(users[n % 3], f"batch:{n}", channels=["email"])
        stats = deliver(batch_size=10)
    finally:
        server.stop()
    assert stats.sent == 6
    assert len(server.sink.messages()) == 6
    assert len(set(server.sink.peers)) == 1


def test_a_server_that_is_down_means_retries_with_growing_delays_then_dead_and_an_alert(
    settings, customer, deliver
):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.OUTBOX_RETRY_BASE_SECONDS = 10
    point_email_at(settings, free_port())  # nothing listens there
    notification = send(customer, "down", channels=["email"])
    row = _row(notification)

    delays = []
    for attempt in (1, 2):
        before = row.next_attempt_at
        deliver(now=before)
        row.refresh_from_db()
        assert row.status == OutboxStatus.RETRYING
        assert row.attempts == attempt
        assert "ConnectionRefusedError" in row.last_error
        delays.append((row.next_attempt_at - before).total_seconds())
        # Not due before its time:
        assert deliver(now=row.next_attempt_at - timedelta(seconds=1)).claimed == 0

    assert 5 <= delays[0] <= 10  # half the 10 s step fixed, half jitter
    assert 10 <= delays[1] <= 20  # the next step doubles
    deliver(now=row.next_attempt_at)
    row.refresh_from_db()
    assert row.status == OutboxStatus.DEAD
    assert row.attempts == 3
    alert = AdminAlert.objects.get(reason="notification.undelivered")
    assert alert.object_id == str(row.pk)
    assert AuditEntry.objects.filter(action="notification.failed", outcome="failure").exists()


def test_a_dead_email_requeued_after_the_server_is_back_is_delivered_once(
    settings, customer, admin_user, deliver
):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    port = free_port()
    point_email_at(settings, port)
    notification = send(customer, "redrive", channels=["email"])
    deliver()
    assert _row(notification).status == OutboxStatus.DEAD

    server = smtp_server_with(CountingSink(), port=port)
    server.start()
    try:
        outbox_requeue(message_id=_row(notification).pk, actor=admin_user)
        deliver()
        deliver()  # a second pass finds nothing more to send
    finally:
        server.stop()
    assert [m.message_id for m in server.sink.to(customer.email)] == [notification.message_id]
    assert _row(notification).status == OutboxStatus.SENT
    assert AuditEntry.objects.filter(action="outbox.requeued", actor=admin_user).exists()


def test_a_permanent_refusal_is_dead_at_once_without_retries(settings, db, deliver):
    server = smtp_server_with(RefusingSink())
    server.start()
    try:
        point_email_at(settings, server.port)
        nobody = UserFactory(email="nobody@example.com")
        notification = send(nobody, "refused", channels=["email"])
        deliver()
    finally:
        server.stop()
    row = _row(notification)
    assert row.status == OutboxStatus.DEAD
    assert row.attempts == 1
    assert "550" in row.last_error


def test_retry_delays_grow_and_stop_at_the_cap(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 5
    settings.OUTBOX_RETRY_MAX_SECONDS = 60
    ceilings = [5, 10, 20, 40, 60, 60]
    for attempts, ceiling in enumerate(ceilings, start=1):
        for _ in range(20):
            assert ceiling / 2 <= retry_delay_seconds(attempts) <= ceiling


# --- The embedded mailbox -------------------------------------------------------------------------


def test_the_database_mailbox_keeps_every_sent_email(customer, db_mailbox, media, deliver):
    path = default_storage.save("a.txt", ContentFile(b"12345"))
    notification = send(
        customer,
        "kept",
        channels=["email"],
        attachments=[Attachment("a.txt", "text/plain", path)],
    )
    deliver()
    mail = SentMail.objects.get()
    assert mail.to == [customer.email]
    assert mail.subject == notification.subject
    assert "Body of kept" in mail.body_text
    assert "<p>Body of kept</p>" in mail.body_html
    assert mail.message_id == notification.message_id
    assert mail.attachments == [{"filename": "a.txt", "content_type": "text/plain", "size": 5}]


def test_the_database_mailbox_files_a_resent_message_id_once(customer, db_mailbox, deliver):
    notification = send(customer, "resent", channels=["email"])
    deliver()
    # The relay died after sending, before recording: the row is due again.
    OutboxMessage.objects.filter(pk=_row(notification).pk).update(status=OutboxStatus.PENDING)
    assert deliver().sent == 1
    assert SentMail.objects.filter(message_id=notification.message_id).count() == 1


# --- In-app inbox ---------------------------------------------------------------------------------


def test_in_app_delivery_files_the_message_in_the_recipients_inbox(customer, deliver):
    notification = send(customer, "in-app", channels=["in_app"])
    deliver()
    message = InboxMessage.objects.get()
    assert message.recipient == customer
    assert message.subject == notification.subject
    assert message.read_at is None
    assert _row(notification, "in_app").status == OutboxStatus.SENT


def test_redelivering_an_in_app_message_creates_nothing_new(customer, deliver):
    notification = send(customer, "in-app-twice", channels=["in_app"])
    deliver()
    OutboxMessage.objects.filter(pk=_row(notification, "in_app").pk).update(
        status=OutboxStatus.PENDING
    )
    assert deliver().sent == 1
    assert InboxMessage.objects.filter(recipient=customer).count() == 1


# --- Leases ---------------------------------------------------------------------------------------


def test_a_crashed_relays_rows_are_claimed_again_once_the_lease_runs_out(
    settings, customer, deliver
):
    settings.OUTBOX_LEASE_SECONDS = 30
    notification = send(customer, "leased", channels=["in_app"])
    now = timezone.now()
    assert len(outbox_claim(worker_id="relay-that-dies", limit=10, now=now)) == 1

    assert deliver(now=now + timedelta(seconds=29)).claimed == 0
    stats = deliver(now=now + timedelta(seconds=31))

    assert stats.sent == 1
    row = _row(notification, "in_app")
    assert row.status == OutboxStatus.SENT
    assert row.attempts == 2


def test_a_relay_dying_during_the_final_attempt_makes_the_message_dead(settings, customer, deliver):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    notification = send(customer, "final", channels=["in_app"])
    OutboxMessage.objects.filter(pk=_row(notification, "in_app").pk).update(attempts=2)
    now = timezone.now()
    outbox_claim(worker_id="relay-that-dies", limit=10, now=now)

    deliver(now=now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1))

    row = _row(notification, "in_app")
    assert row.status == OutboxStatus.DEAD
    assert "final attempt" in row.last_error
    assert AdminAlert.objects.filter(object_id=str(row.pk)).exists()


def test_a_graceful_stop_hands_unstarted_rows_back(customer):
    for n in range(3):
        send(customer, f"stop:{n}", channels=["in_app"])
    calls = []

    def stop_after_first() -> bool:
        calls.append(1)
        return len(calls) > 1

    stats = relay_run_batch(worker_id="stopping", should_stop=stop_after_first)

    assert stats.claimed == 3 and stats.sent == 1
    waiting = OutboxMessage.objects.exclude(status=OutboxStatus.SENT)
    assert waiting.count() == 2
    assert all(m.locked_until is None and m.attempts == 0 for m in waiting)


# --- Integration events through the registry -----------------------------------------------------


@pytest.fixture
def consumed():
    received = []

    def consume(message, batch):
        if message.payload.get("fail"):
            raise ConnectionError("stream unavailable")
        if message.payload.get("refuse"):
            raise PermanentDeliveryError("malformed event")
        received.append(message.payload)

    register_outbox_handler("test.event", consume)
    yield received
    unregister_outbox_handler("test.event")


def test_a_published_event_reaches_its_registered_consumer(db, consumed, deliver):
    outbox_publish(topic="test.event", payload={"risk": "red"}, dedupe_key="event:1")
    deliver()
    assert consumed == [{"risk": "red"}]
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT


def test_a_failing_consumer_leaves_the_event_retrying_with_its_error(db, consumed, deliver):
    message = outbox_publish(topic="test.event", payload={"fail": True}, dedupe_key="event:2")
    deliver()
    message.refresh_from_db()
    assert message.status == OutboxStatus.RETRYING
    assert "stream unavailable" in message.last_error
    assert message.next_attempt_at > timezone.now()


def test_an_event_with_no_consumer_retries_until_one_is_registered(settings, db, deliver):
    message = outbox_publish(topic="test.nobody", payload={}, dedupe_key="event:3")
    deliver()
    message.refresh_from_db()
    assert message.status == OutboxStatus.RETRYING
    assert "no outbox handler" in message.last_error


def test_a_permanently_refused_event_is_dead_with_an_alert(db, consumed, deliver):
    message = outbox_publish(topic="test.event", payload={"refuse": True}, dedupe_key="event:4")
    deliver()
    message.refresh_from_db()
    assert message.status == OutboxStatus.DEAD
    assert AdminAlert.objects.get(reason="outbox.undelivered").object_id == str(message.pk)
    assert AuditEntry.objects.filter(action="outbox.dead", outcome="failure").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_relay_skips_rows_another_relay_has_locked(require_postgres, customer):
    for n in range(10):
        send(customer, f"skip:{n}", channels=["in_app"])
    all_ids = set(OutboxMessage.objects.values_list("id", flat=True))
    locked, release, held = threading.Event(), threading.Event(), []

    def first_relay_mid_claim() -> None:
        try:
            with transaction.atomic():
                rows = OutboxMessage.objects.select_for_update().order_by("id")[:4]
                held.extend(row.pk for row in rows)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=first_relay_mid_claim)
    thread.start()
    try:
        assert locked.wait(timeout=30)
        claimed = outbox_claim(worker_id="second-relay", limit=10)
    finally:
        release.set()
        thread.join(timeout=30)

    assert len(held) == 4
    assert {m.pk for m in claimed} == all_ids - set(held)


def test_a_row_taken_over_after_its_lease_ran_out_is_not_sent_by_the_slow_relay(
    settings, db, consumed
):
    settings.OUTBOX_LEASE_SECONDS = 30
    outbox_publish(topic="test.event", payload={"n": 1}, dedupe_key="slow:1")
    start = timezone.now()
    [slow_copy] = outbox_claim(worker_id="slow-relay", limit=1, now=start)
    outbox_claim(worker_id="fast-relay", limit=1, now=start + timedelta(seconds=31))

    state = outbox_deliver(
        slow_copy, worker_id="slow-relay", batch=DeliveryBatch(), now=start + timedelta(seconds=20)
    )

    assert state == "lost"
    assert consumed == []


def test_a_slow_batch_renews_the_lease_of_the_row_it_is_about_to_send(settings, db, consumed):
    settings.OUTBOX_LEASE_SECONDS = 30
    message = outbox_publish(topic="test.event", payload={"n": 2}, dedupe_key="slow:2")
    start = timezone.now()
    [claimed] = outbox_claim(worker_id="slow-relay", limit=1, now=start)
    later = start + timedelta(seconds=20)

    state = outbox_deliver(claimed, worker_id="slow-relay", batch=DeliveryBatch(), now=later)

    assert state == "sent"
    assert consumed == [{"n": 2}]
    assert claimed.locked_until == later + timedelta(seconds=30)
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT


@pytest.fixture
def alerts_down():
    """The alerts app's consumer of "outbox.dead" fails; the real one is put back afterwards."""
    real = handler_for(OUTBOX_DEAD_TOPIC)

    def fail(message, batch):
        raise ConnectionError("alerts table unavailable")

    register_outbox_handler(OUTBOX_DEAD_TOPIC, fail, transactional=True)
    yield
    register_outbox_handler(OUTBOX_DEAD_TOPIC, real.handler, transactional=real.transactional)


def test_a_dead_report_of_a_dead_message_publishes_no_other_but_is_logged_and_mailed(
    settings, db, consumed, alerts_down, deliver, caplog, mailoutbox
):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    settings.ADMINS = [("Admins", "admins@example.com")]
    message = outbox_publish(topic="test.event", payload={"refuse": True}, dedupe_key="event:5")

    deliver()

    [report] = OutboxMessage.objects.filter(topic=OUTBOX_DEAD_TOPIC)
    assert report.status == OutboxStatus.DEAD
    assert report.payload["outbox_id"] == message.pk
    assert OutboxMessage.objects.count() == 2
    assert AuditEntry.objects.filter(action="outbox.dead", object_id=str(report.pk)).exists()
    assert not AdminAlert.objects.exists()
    assert any(
        record.levelname == "CRITICAL" and record.outbox_id == report.pk
        for record in caplog.records
    )
    [mail] = mailoutbox
    assert mail.to == ["admins@example.com"]
    assert f"Outbox message #{message.pk} is dead" in mail.subject
    assert "alerts table unavailable" in mail.body


def test_a_transactional_handler_that_loses_its_lease_commits_nothing(settings, db):
    """Another relay took the row over while the handler ran: its writes roll back, so the
    event is applied once, by the relay that holds the row."""
    settings.OUTBOX_LEASE_SECONDS = 30
    written = []

    def apply_then_lose_the_lease(message, batch):
        written.append(AuditEntry.objects.create(action="test.applied", occurred_at=timezone.now()))
        OutboxMessage.objects.filter(pk=message.pk).update(locked_by="fast-relay")

    register_outbox_handler("test.exactly_once", apply_then_lose_the_lease, transactional=True)
    try:
        outbox_publish(topic="test.exactly_once", payload={}, dedupe_key="once:1")
        [claimed] = outbox_claim(worker_id="slow-relay", limit=1)
        state = outbox_deliver(claimed, worker_id="slow-relay", batch=DeliveryBatch())
    finally:
        unregister_outbox_handler("test.exactly_once")

    assert state == "lost"
    assert len(written) == 1  # the handler ran ...
    assert not AuditEntry.objects.filter(action="test.applied").exists()  # ... and rolled back
    row = OutboxMessage.objects.get(topic="test.exactly_once")
    assert (row.status, row.locked_by) != (OutboxStatus.SENT, "slow-relay")


def test_a_dead_message_whose_dead_event_cannot_be_written_is_still_dead_audited_and_mailed(
    settings, db, consumed, deliver, caplog, mailoutbox
):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    settings.ADMINS = [("Admins", "admins@example.com")]
    message = outbox_publish(topic="test.event", payload={"refuse": True}, dedupe_key="event:6")

    with database_refuses(OutboxMessage, "{row}topic = 'outbox.dead'", name="fault_dead_event"):
        deliver()

    message.refresh_from_db()
    assert message.status == OutboxStatus.DEAD
    assert AuditEntry.objects.filter(action="outbox.dead", object_id=str(message.pk)).exists()
    assert not OutboxMessage.objects.filter(topic=OUTBOX_DEAD_TOPIC).exists()
    assert any(record.levelname == "CRITICAL" for record in caplog.records)
    [mail] = mailoutbox
    assert f"Outbox message #{message.pk} is dead" in mail.subject
    assert "malformed event" in mail.body
    assert "refuse" not in mail.body  # another message's payload is not mailed
