import threading

import pytest
from django.db import connection

from onboarding.audit.models import AuditEntry
from onboarding.core.money import Money
from onboarding.payments.charges import (
    CollectRequest,
    payment_collect,
    payment_collect_many,
)
from onboarding.payments.models import PaymentAttempt, PaymentStatus, SandboxCharge
from onboarding.payments.sandbox_faults import sandbox_fault_arm
from tests.factories import UserFactory
from tests.payments.helpers import INSUFFICIENT_FUNDS_CARD, card_on_file


def request(customer, key: str, minor: int = 9900) -> CollectRequest:
    return CollectRequest(
        customer_id=customer.pk,
        amount=Money(minor, "EUR"),
        idempotency_key=key,
        description=f"Invoice {key}",
        reference=key,
    )


@pytest.fixture
def payers(db):
    good, poor, cardless = (UserFactory().customer for _ in range(3))
    card_on_file(good)
    card_on_file(poor, INSUFFICIENT_FUNDS_CARD)
    return good, poor, cardless


@pytest.mark.django_db
def test_a_batch_charges_each_once_and_answers_in_order(payers):
    good, poor, cardless = payers
    outcomes = payment_collect_many(
        requests=[request(good, "g1"), request(cardless, "c1"), request(poor, "p1")]
    )
    assert [o.request.idempotency_key for o in outcomes] == ["g1", "c1", "p1"]
    assert outcomes[0].attempt.status == PaymentStatus.SUCCEEDED
    assert outcomes[0].attempt.gateway_charge_id.startswith("ch_sbx_")
    assert outcomes[1].attempt is None and outcomes[1].error.code == "no_card"
    assert (outcomes[2].attempt.status, outcomes[2].attempt.code) == (
        PaymentStatus.DECLINED,
        "insufficient_funds",
    )
    assert SandboxCharge.objects.count() == 2
    assert AuditEntry.objects.filter(action__startswith="payment.").count() == 2


@pytest.mark.django_db
def test_a_batch_run_again_charges_nothing_more(payers):
    good, poor, _ = payers
    batch = [request(good, "g1"), request(poor, "p1")]
    first = payment_collect_many(requests=batch)
    again = payment_collect_many(requests=batch)
    assert [o.attempt.pk for o in again] == [o.attempt.pk for o in first]
    assert SandboxCharge.objects.count() == 2
    assert PaymentAttempt.objects.count() == 2


@pytest.mark.django_db
def test_a_key_already_charged_alone_is_not_charged_again_in_a_batch(payers):
    good, _, _ = payers
    alone = payment_collect(
        customer=good,
        amount=Money(9900, "EUR"),
        idempotency_key="g1",
        description="Invoice g1",
        reference="g1",
    )
    [outcome] = payment_collect_many(requests=[request(good, "g1")])
    assert outcome.attempt.pk == alone.pk
    assert SandboxCharge.objects.count() == 1


@pytest.mark.django_db
def test_a_key_reused_for_another_amount_is_that_outcomes_error(payers):
    good, _, _ = payers
    payment_collect_many(requests=[request(good, "g1")])
    [outcome] = payment_collect_many(requests=[request(good, "g1", minor=1)])
    assert outcome.attempt is None and outcome.error.code == "conflict"


@pytest.mark.django_db
def test_armed_faults_apply_to_a_batch_in_order(payers):
    good, _, _ = payers
    other = UserFactory().customer
    card_on_file(other)
    sandbox_fault_arm(operation="charge", kind="timeout_after_charge")
    outcomes = payment_collect_many(requests=[request(good, "g1"), request(other, "o1")])
    assert [o.attempt.status for o in outcomes] == [PaymentStatus.UNKNOWN, PaymentStatus.SUCCEEDED]
    assert SandboxCharge.objects.count() == 2  # the lost answer's charge exists at the gateway


@pytest.mark.django_db
def test_duplicate_keys_in_one_batch_are_refused(payers):
    good, _, _ = payers
    with pytest.raises(ValueError):
        payment_collect_many(requests=[request(good, "g1"), request(good, "g1")])
    assert not PaymentAttempt.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_batches_charge_each_key_once():
    """On SQLite the transactions run one at a time (IMMEDIATE takes the write lock when each
    begins), but the threads still interleave between them: a batch can read a key as unused
    and find it taken when it records its attempt. That leg proves the unique key, not a row
    lock, is what keeps the second charge away; PostgreSQL adds truly parallel transactions."""
    customers = [UserFactory().customer for _ in range(6)]
    for customer in customers:
        card_on_file(customer)
    batch = [request(c, f"k{i}") for i, c in enumerate(customers)]
    start = threading.Barrier(3)
    errors = []

    def run(requests):
        try:
            start.wait()
            payment_collect_many(requests=requests)
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(part,))
        for part in (batch, batch[::-1], batch[2:] + batch[:2])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert PaymentAttempt.objects.count() == 6
    assert SandboxCharge.objects.count() == 6
