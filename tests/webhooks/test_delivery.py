"""Delivery to a real receiver on loopback, which verifies every signature with the
standardwebhooks library: order, retries, timeouts, outages, disabling after the retry period."""

from datetime import timedelta

import pytest
from django.utils import timezone

from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.audit.services import audit_seal_pending
from onboarding.webhooks.delivery import DISABLED_ALERT, webhooks_deliver_due
from onboarding.webhooks.dispatch import webhooks_dispatch
from onboarding.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from onboarding.webhooks.sender import RESPONSE_KEEP_BYTES
from onboarding.webhooks.services import endpoint_update
from onboarding.webhooks.tasks import webhooks_deliver_task, webhooks_dispatch_task
from tests.factories import UserFactory
from tests.webhooks.helpers import at, record, register, seal_and_dispatch

pytestmark = pytest.mark.django_db


def test_an_audited_event_arrives_signed_with_the_audit_entrys_id(admin, receiver):
    register(admin, receiver)
    entry = record("invoice.paid", customer_id=42)

    assert seal_and_dispatch() == 1
    assert webhooks_deliver_due() == 1

    (got,) = receiver.wait_for(1)
    assert got.verified_by == receiver.secrets
    assert got.webhook_id == f"evt_{entry.pk}"
    assert got.headers["webhook-signature"].startswith("v1,")
    assert got.payload["type"] == "invoice.paid"
    assert got.payload["version"] == 1
    assert got.payload["data"]["audit_entry_id"] == entry.pk
    assert got.payload["data"]["customer_id"] == 42
    assert got.payload["data"]["changes"] == {"status": ["open", "paid"]}
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code == 200 and attempt.succeeded
    assert len(attempt.response_excerpt) == RESPONSE_KEEP_BYTES  # the rest is never read


def test_actions_that_stay_inside_and_unwanted_types_are_not_sent(admin, receiver):
    register(admin, receiver, event_types=["invoice.paid"])
    record("auth.login")
    record("invoice.issued", number="INV-1")
    record("invoice.paid")

    assert seal_and_dispatch() == 1
    webhooks_deliver_due()
    assert [r.event_type for r in receiver.received] == ["invoice.paid"]


def test_secrets_in_changes_never_leave(admin, receiver):
    register(admin, receiver)
    record(
        "customer.profile_updated",
        api_token="tok_live_123",
        pay_url="https://pay.example/s3cret",
        company=["Old", "New"],
        note="card 4242 4242 4242 4242",
    )
    seal_and_dispatch()
    webhooks_deliver_due()

    (got,) = receiver.wait_for(1)
    assert got.payload["data"]["changes"] == {
        "company": ["Old", "New"],
        "note": "card [redacted card number]",
    }
    assert b"tok_live" not in got.body and b"s3cret" not in got.body and b"4242" not in got.body


def test_a_500_is_retried_with_backoff_and_then_delivered(admin, receiver):
    register(admin, receiver)
    record("invoice.paid")
    seal_and_dispatch()
    receiver.answers = [500, 500]
    now = timezone.now()

    assert webhooks_deliver_due(now=now) == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.last_status_code == 500
    first_wait = (delivery.next_attempt_at - now).total_seconds()
    assert 15 <= first_wait <= 30  # base 30 s, equal jitter
    assert webhooks_deliver_due(now=now) == 0  # not yet due

    webhooks_deliver_due(now=at(now, 31))
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert 30 <= (delivery.next_attempt_at - at(now, 31)).total_seconds() <= 60  # doubled

    webhooks_deliver_due(now=at(now, 100))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 3
    assert len(receiver.verified()) == 3
    assert {r.webhook_id for r in receiver.received} == {delivery.webhook_id}


def test_a_receiver_slower_than_the_read_timeout_is_retried(admin, receiver, settings):
    settings.WEBHOOKS_READ_TIMEOUT_SECONDS = 0.3
    register(admin, receiver)
    record("invoice.paid")
    seal_and_dispatch()
    receiver.answers = ["hang"]
    now = timezone.now()

    webhooks_deliver_due(now=now)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code is None and "timed out" in delivery.last_error
    receiver.release.set()

    webhooks_deliver_due(now=at(now, 60))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED


def test_receiver_down_then_back_loses_nothing_and_keeps_each_customers_order(admin, receiver):
    register(admin, receiver)
    port = receiver.port
    receiver.stop()
    entries = [
        record("invoice.issued", customer_id=customer, object_id=n, number=f"INV-{n}")
        for n, customer in enumerate([1, 2, 1, 2, 1, 3], start=1)
    ]
    seal_and_dispatch()
    now = timezone.now()

    webhooks_deliver_due(now=now)  # connection refused: only each customer's first is tried
    tried = WebhookDelivery.objects.filter(attempts__gt=0)
    assert sorted(tried.values_list("customer_key", flat=True)) == [1, 2, 3]
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count() == 6

    receiver.port = port
    receiver.start()
    webhooks_deliver_due(now=at(now, 3600))

    assert WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 6
    got = receiver.wait_for(6)
    assert {r.webhook_id for r in got} == {f"evt_{e.pk}" for e in entries}
    for customer in (1, 2, 3):
        sent = [
            r.payload["data"]["audit_entry_id"]
            for r in got
            if r.payload["data"]["customer_id"] == customer
        ]
        assert sent == sorted(sent), f"customer {customer} out of order: {sent}"


def test_after_three_days_of_failures_the_endpoint_is_disabled_and_admins_alerted_once(
    admin, receiver
):
    endpoint = register(admin, receiver)
    record("invoice.paid", customer_id=1)
    record("invoice.paid", customer_id=2)
    waiting = record("invoice.voided", customer_id=1)
    seal_and_dispatch()
    receiver.answers = [503] * 200
    now = timezone.now()
    step = 0
    while not WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED).exists():
        step += 1
        assert step < 200, "never gave up"
        webhooks_deliver_due(now=at(now, step * 6 * 3600))

    failed = WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED)
    assert failed.count() == 2  # both customers' first events, in the same round
    for delivery in failed:
        assert delivery.finished_at - delivery.first_attempt_at >= timedelta(days=3)
    endpoint.refresh_from_db()
    assert endpoint.state == "disabled"
    alert = AdminAlert.objects.get(reason=DISABLED_ALERT)
    assert alert.count == 1
    assert AuditEntry.objects.filter(action="webhook_endpoint.disabled").count() == 1

    # Disabled: nothing more is sent, until an admin resumes it; then the event that waited goes.
    count = len(receiver.received)
    webhooks_deliver_due(now=at(now, 30 * 86400))
    assert len(receiver.received) == count
    receiver.answers = []
    endpoint_update(actor=admin, endpoint_id=endpoint.pk, paused=False)
    webhooks_deliver_due(now=at(now, 30 * 86400))
    assert not WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).exists()
    assert receiver.received[-1].webhook_id == f"evt_{waiting.pk}"
    # (Signed 30 days ahead of the receiver's clock: standardwebhooks rightly refuses that stamp.)
    assert receiver.received[-1].headers["webhook-signature"].startswith("v1,")


def test_a_paused_endpoint_sends_nothing_until_resumed(admin, receiver):
    endpoint = register(admin, receiver)
    endpoint_update(actor=admin, endpoint_id=endpoint.pk, paused=True)
    record("invoice.paid")
    seal_and_dispatch()

    assert webhooks_deliver_due() == 0
    assert receiver.received == []

    endpoint_update(actor=admin, endpoint_id=endpoint.pk, paused=False)
    assert webhooks_deliver_due() == 1
    assert len(receiver.wait_for(1)) == 1


def test_an_endpoint_registered_later_does_not_get_earlier_events(admin, receiver):
    record("invoice.paid")  # before any endpoint exists
    register(admin, receiver)
    record("invoice.voided")
    seal_and_dispatch()
    webhooks_deliver_due()
    assert [r.event_type for r in receiver.received] == ["invoice.voided"]


def test_the_worker_runs_both_steps_periodically_for_a_real_business_event(
    admin, receiver, settings
):
    assert {
        "onboarding.webhooks.tasks.webhooks_dispatch_task",
        "onboarding.webhooks.tasks.webhooks_deliver_task",
    } <= set(settings.WORKER_PERIODIC_TASKS)
    register(admin, receiver, event_types=["customer.created"])
    customer = UserFactory().customer  # sign-up's customer_create records customer.created

    audit_seal_pending()
    assert webhooks_dispatch_task.call() == 1
    assert webhooks_deliver_task.call() == 1

    (got,) = receiver.wait_for(1)
    assert got.event_type == "customer.created" and got.verified_by
    assert got.payload["data"]["customer_id"] == customer.pk


def test_the_dispatcher_reads_a_batch_at_a_time_and_misses_nothing(admin, receiver):
    register(admin, receiver)
    entries = [record("invoice.paid", customer_id=n) for n in range(5)]
    record("auth.login")  # read past, never sent
    audit_seal_pending()

    created = [webhooks_dispatch(batch_size=2) for _ in range(4)]

    # Entries read two at a time: the endpoint's own creation and the first payment, then pairs,
    # then the sign-in alone.
    assert created == [1, 2, 2, 0]
    assert list(
        WebhookDelivery.objects.order_by("pk").values_list("audit_entry_id", flat=True)
    ) == [e.pk for e in entries]
