"""Two requests with the same key at the same moment, on separate connections: one charge."""

import threading

import pytest
from django.db import connection

from onboarding.core.money import Money
from onboarding.payments.charges import payment_collect
from onboarding.payments.models import PaymentAttempt, SandboxCharge
from tests.payments.helpers import card_on_file

THREADS = 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_with_the_same_key_charge_once(customer):
    """On SQLite the transactions run one at a time (IMMEDIATE takes the write lock when each
    begins), but the threads still interleave between them: a call can read the key as unused
    and find it taken when it records its attempt. That leg proves the unique key, not a row
    lock, is what keeps the second charge away; PostgreSQL adds truly parallel transactions."""
    card_on_file(customer.customer)
    start = threading.Barrier(THREADS)
    returned, errors = [], []

    def pay():
        try:
            start.wait()
            attempt = payment_collect(
                customer=customer.customer,
                amount=Money(9900, "EUR"),
                idempotency_key="inv-9-try-1",
                description="Invoice INV-2026-000009",
                reference="INV-2026-000009",
            )
            returned.append(attempt.pk)
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(returned) == THREADS and len(set(returned)) == 1
    assert PaymentAttempt.objects.count() == 1
    assert SandboxCharge.objects.filter(idempotency_key="inv-9-try-1").count() == 1
