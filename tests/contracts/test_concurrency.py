"""Concurrent issues on PostgreSQL: numbers stay unique and gap-free, one contract per term, one
reminder per offset. (SQLite serialises every writer, so these run in the PostgreSQL leg.)"""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from onboarding.contracts.issuing import contract_issue_for_subscription
from onboarding.contracts.lifecycle import contract_expiry_remind
from onboarding.contracts.models import Contract, ContractReminder, ContractSequence
from tests.contracts.conftest import deliver_inline, paying_customer, subscribe

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def _together(*calls):
    """Run each call in its own thread (own connection), released at the same moment."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # collected and re-raised in the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    return results


def test_concurrent_issues_take_consecutive_numbers(require_postgres, media, plan):
    subscriptions = [subscribe(paying_customer(), plan) for _ in range(4)]

    contracts = _together(
        *[lambda s=s: contract_issue_for_subscription(subscription=s) for s in subscriptions]
    )

    year = timezone.now().year
    assert sorted(c.number for c in contracts) == [f"CTR-{year}-{n:06d}" for n in range(1, 5)]
    assert ContractSequence.objects.get(year=year).last_number == 4


def test_concurrent_issues_of_one_subscription_make_one_contract(require_postgres, media, plan):
    subscription = subscribe(paying_customer(), plan)

    first, second = _together(
        lambda: contract_issue_for_subscription(subscription=subscription),
        lambda: contract_issue_for_subscription(subscription=subscription),
    )

    assert first.pk == second.pk
    assert Contract.objects.count() == 1
    assert ContractSequence.objects.get().last_number == 1  # no number was lost


def test_concurrent_reminders_send_one(require_postgres, media, plan):
    contract = deliver_inline(subscribe(paying_customer(), plan))
    end = timezone.now() + timedelta(days=5)
    Contract.objects.filter(pk=contract.pk).update(
        term_end=end, term_start=end - timedelta(days=365)
    )

    sent = _together(
        lambda: contract_expiry_remind(contract=contract, days_before=7),
        lambda: contract_expiry_remind(contract=contract, days_before=7),
    )

    assert sorted(sent) == [False, True]
    assert ContractReminder.objects.count() == 1
