"""A bill-run process running several claim-and-charge loops at once (PostgreSQL): each loop on
its own connection, sharing the run through SKIP LOCKED claims as separate processes do."""

from collections import Counter
from datetime import date

import pytest
from django.db import connection

from bench.bill_run_seed import due_moment, seed_subscriptions
from onboarding.billing.billrun import bill_run_execute, bill_run_loops
from onboarding.billing.models import BillRun, Invoice, InvoiceStatus, Subscription
from onboarding.payments.models import PaymentAttempt, SandboxCharge

DAY = date(2030, 1, 15)


@pytest.mark.django_db
def test_inside_a_transaction_or_on_sqlite_one_loop_runs_whatever_is_asked():
    # A test's transaction holds rows other connections cannot see; SQLite has one writer.
    assert bill_run_loops(4) == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_loops_invoice_and_charge_each_subscription_once():
    if connection.vendor != "postgresql":
        pytest.skip("loops share a run through SKIP LOCKED claims: PostgreSQL only")
    assert bill_run_loops(2) == 2
    seed_subscriptions(count=300, due_at=due_moment(DAY), declining=30)

    progress = bill_run_execute(run_date=DAY, batch_size=20, loops=2)

    assert progress.issued == 300
    assert progress.paid + progress.failed == 300
    assert progress.failed == 10  # every 30th card is declined
    per_subscription = Counter(Invoice.objects.values_list("subscription_id", flat=True))
    assert len(per_subscription) == 300 and set(per_subscription.values()) == {1}
    numbers = sorted(Invoice.objects.values_list("number_seq", flat=True))
    assert numbers == list(range(1, 301))  # no gap, no number twice
    assert Invoice.objects.filter(status=InvoiceStatus.PAID).count() == 290
    # One attempt per invoice, and the gateway charged each key once.
    assert PaymentAttempt.objects.count() == 300
    charged = Counter(SandboxCharge.objects.values_list("idempotency_key", flat=True))
    assert len(charged) == 300 and set(charged.values()) == {1}
    assert Subscription.objects.filter(current_period_start=due_moment(DAY)).count() == 300
    run = BillRun.objects.get(run_date=DAY)
    assert (run.invoices_issued, run.paid, run.failed) == (300, 290, 10)
    assert run.finished_at is not None
