"""Contracts hear of a subscription's first paid invoice through the outbox (invoice.first_paid,
delivered by the relay) and queue its first contract's issue: once, however often it is
delivered, and never lost when queueing fails for a while."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from onboarding.billing.charging import INVOICE_FIRST_PAID_TOPIC
from onboarding.contracts import subscribers
from onboarding.contracts.issuing import issue_task_key
from onboarding.notifications.models import OutboxMessage, OutboxStatus
from onboarding.notifications.registry import DeliveryBatch
from onboarding.notifications.relay import relay_drain
from onboarding.notifications.services import outbox_publish
from onboarding.worker.models import TaskKey
from tests.contracts.conftest import paying_customer, subscribe

pytestmark = pytest.mark.django_db


def first_paid(subscription) -> OutboxMessage:
    return outbox_publish(
        topic=INVOICE_FIRST_PAID_TOPIC,
        payload={"subscription_id": subscription.pk, "invoice_id": 1},
        dedupe_key=f"invoice-first-paid:{subscription.pk}",
    )


def issue_tasks(subscription) -> int:
    return DBTaskResult.objects.filter(
        task_path__endswith="contract_issue_for_subscription_task",
        args_kwargs__kwargs__subscription_id=subscription.pk,
    ).count()


def test_the_relay_delivers_the_event_and_the_contracts_issue_is_queued(plan):
    subscription = subscribe(paying_customer(), plan)
    message = first_paid(subscription)

    relay_drain(worker_id="contracts-test-relay")

    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert TaskKey.objects.filter(key=issue_task_key(subscription.pk)).count() == 1
    assert issue_tasks(subscription) == 1


def test_an_event_delivered_twice_queues_the_issue_once(plan):
    subscription = subscribe(paying_customer(), plan)
    message = first_paid(subscription)

    subscribers.invoice_first_paid(message, DeliveryBatch())
    subscribers.invoice_first_paid(message, DeliveryBatch())

    assert issue_tasks(subscription) == 1


def test_an_issue_that_cannot_be_queued_is_retried_by_the_relay_until_it_is(plan, monkeypatch):
    subscription = subscribe(paying_customer(), plan)
    message = first_paid(subscription)

    def broken(*args, **kwargs):
        raise RuntimeError("the task queue is down")

    with monkeypatch.context() as patched:
        patched.setattr(subscribers, "task_enqueue_once", broken)
        relay_drain(worker_id="contracts-test-relay")
    message.refresh_from_db()
    assert (message.status, issue_tasks(subscription)) == (OutboxStatus.RETRYING, 0)
    assert "the task queue is down" in message.last_error

    relay_drain(worker_id="contracts-test-relay", now=timezone.now() + timedelta(hours=2))
    message.refresh_from_db()
    assert (message.status, issue_tasks(subscription)) == (OutboxStatus.SENT, 1)
