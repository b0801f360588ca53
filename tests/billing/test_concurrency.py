"""Concurrency on PostgreSQL: several bill runs share one day's work, and two payments of one
invoice at once charge it once."""

import os
import subprocess
import sys
import threading
from datetime import date

import pytest
from django.db import connection

from bench.bill_run_seed import due_moment, seed_subscriptions
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import BillRun, Invoice, InvoiceStatus
from onboarding.billing.services import invoice_pay
from onboarding.core.errors import Conflict
from onboarding.payments.models import SandboxCharge
from tests.billing.conftest import DECLINING_CARD, buy, ready_customer, today
from tests.core.childproc import ROOT, child_database_url
from tests.factories import DEFAULT_PASSWORD
from tests.payments.helpers import GOOD_CARD, card_on_file

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.slow
def test_three_bill_runs_at_once_share_the_day_and_invoice_each_period_once(require_postgres):
    day, count = date(2030, 1, 15), 1500
    seed_subscriptions(count=count, due_at=due_moment(day))
    env = {**os.environ, "DATABASE_URL": child_database_url()}
    runs = [
        subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "bill_run",
                f"--date={day}",
                "--batch-size=50",
                "--progress-every=0",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(3)
    ]
    summaries = [run.communicate(timeout=180)[0] for run in runs]

    assert [run.returncode for run in runs] == [0, 0, 0]
    issued = [int(summary.split(":")[1].split("invoiced")[0]) for summary in summaries]
    assert sum(issued) == count
    assert sum(1 for n in issued if n > 0) >= 2  # the work was shared
    assert Invoice.objects.count() == Invoice.objects.values("subscription").distinct().count()
    assert Invoice.objects.filter(status=InvoiceStatus.PAID).count() == count
    assert SandboxCharge.objects.count() == count
    run = BillRun.objects.get(run_date=day)
    assert (run.passes, run.invoices_issued, run.paid) == (3, count, count)


def test_two_payments_of_one_invoice_at_once_charge_it_once(require_postgres, plan, customer):
    buy(ready_customer(customer, card=DECLINING_CARD), plan)
    bill_run_execute(run_date=today())
    card_on_file(customer.customer, GOOD_CARD, password=DEFAULT_PASSWORD)
    invoice = Invoice.objects.get()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def pay() -> None:
        try:
            barrier.wait()
            outcomes.append(invoice_pay(invoice=invoice, actor=customer).status)
        except Conflict:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(outcomes) == ["paid", "refused"]
    assert SandboxCharge.objects.filter(status="succeeded").count() == 1
    invoice.refresh_from_db()
    assert (invoice.status, invoice.attempt_count) == (InvoiceStatus.PAID, 2)
