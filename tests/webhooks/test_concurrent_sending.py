"""The sender's rounds: requests to different customers go out together, a round costs a few
queries whatever its size, and the send task seals and dispatches what was just recorded."""

import threading

import pytest
from django.db import connections
from django.utils import timezone

from onboarding.audit.models import AuditEntry
from onboarding.webhooks.delivery import _claim_round, _lane_bounded, webhooks_deliver_due
from onboarding.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from onboarding.webhooks.tasks import webhooks_deliver_task
from tests.webhooks.helpers import record, register, seal_and_dispatch

pytestmark = pytest.mark.django_db


def test_different_customers_events_are_sent_at_the_same_time(admin, receiver, settings):
    settings.WEBHOOKS_SEND_THREADS = 4
    register(admin, receiver)
    for customer in range(1, 5):
        record("invoice.paid", customer_id=customer)
    seal_and_dispatch()
    # Each request is answered only once all four are in the receiver together.
    together = threading.Barrier(4, timeout=5)

    def wait_for_the_others() -> int:
        try:
            together.wait()
        except threading.BrokenBarrierError:
            return 503
        return 200

    receiver.answers = [wait_for_the_others] * 4

    assert webhooks_deliver_due(now=timezone.now(), rounds=1) == 4
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 4


def test_one_customers_events_still_go_one_after_another(admin, receiver, settings):
    settings.WEBHOOKS_SEND_THREADS = 4
    register(admin, receiver)
    entries = [record("invoice.paid", customer_id=7, object_id=n) for n in range(1, 6)]
    seal_and_dispatch()

    assert webhooks_deliver_due(now=timezone.now(), rounds=1) == 1
    assert webhooks_deliver_due(now=timezone.now()) == 4
    got = receiver.wait_for(5)
    assert [r.webhook_id for r in got] == [f"evt_{e.pk}" for e in entries]


def test_a_round_costs_a_few_queries_whatever_its_size(
    admin, receiver, settings, django_assert_max_num_queries
):
    register(admin, receiver)
    for customer in range(1, 41):
        record("invoice.paid", customer_id=customer)
    seal_and_dispatch()

    with django_assert_max_num_queries(15):
        assert webhooks_deliver_due(now=timezone.now(), rounds=1) == 40

    assert WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 40
    assert WebhookAttempt.objects.filter(succeeded=True, number=1).count() == 40
    assert len(receiver.wait_for(40)) == 40


def test_the_send_task_seals_and_dispatches_what_was_just_recorded(admin, receiver):
    register(admin, receiver)
    entry = record("invoice.paid")
    assert AuditEntry.objects.get(pk=entry.pk).seq is None  # the sealer has not run

    assert webhooks_deliver_task.call() == 1

    (got,) = receiver.wait_for(1)
    assert got.webhook_id == f"evt_{entry.pk}" and got.verified_by


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_at_once_never_take_the_same_delivery(admin, receiver):
    register(admin, receiver)
    for customer in range(1, 13):
        record("invoice.paid", customer_id=customer)
    seal_and_dispatch()
    now = timezone.now()
    start = threading.Barrier(2, timeout=10)
    claims: list[list[int]] = []

    def worker() -> None:
        try:
            start.wait()
            claims.append([d.pk for d in _claim_round(now, 8)])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    first, second = claims
    assert not set(first) & set(second)
    assert len(first) + len(second) == 12  # the first takes 8; the other, the remaining 4
    assert {len(first), len(second)} == {8, 4}


def test_an_endpoints_replayed_deliveries_beyond_a_lane_wait_for_the_next_round(settings):
    settings.WEBHOOKS_SEND_BATCH, settings.WEBHOOKS_SEND_THREADS = 8, 4  # lanes of 2
    rows = [(n, "replay", 1) for n in range(1, 5)] + [(5, "live", 1), (6, "replay", 2)]

    assert _lane_bounded(rows) == [1, 2, 5, 6]
