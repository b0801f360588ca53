"""The same Stripe event delivered several times at the same moment, on separate connections:
stored once, queued once, and every delivery answered 200."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from onboarding.notifications.models import OutboxMessage
from onboarding.payments.models import StripeEvent
from onboarding.payments.stripe_events import STRIPE_EVENT_TOPIC
from tests.payments.stripe_webhook_helpers import SECRET, post_event, stripe_event

THREADS = 4


@pytest.mark.django_db(transaction=True)
def test_one_event_delivered_four_times_at_once_is_stored_and_queued_once(settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    payload = json.dumps(stripe_event("customer.created"))
    start = threading.Barrier(THREADS)
    answers, errors = [], []

    def deliver():
        try:
            start.wait()
            answers.append(post_event(Client(), payload).status_code)
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert answers == [200] * THREADS
    assert StripeEvent.objects.count() == 1
    assert OutboxMessage.objects.filter(topic=STRIPE_EVENT_TOPIC).count() == 1
