"""A bill run killed with SIGKILL part-way through 800 subscriptions, then run again to the
end: each period is invoiced once, each invoice charged at most once, and every notice is queued
once and delivered once.

The bill runs are real `manage.py bill_run` child processes on this test's database.
"""

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta

import pytest
from django.core import mail
from django.db.models import Count
from django.utils import timezone

from bench.bill_run_seed import due_moment, seed_subscriptions
from onboarding.audit.models import AuditEntry
from onboarding.billing.followups import follow_ups_due, invoice_follow_ups
from onboarding.billing.models import (
    PAYMENT_FAILED,
    Invoice,
    InvoiceStatus,
    PaymentState,
    Subscription,
)
from onboarding.billing.periods import add_months
from onboarding.notifications.models import InboxMessage, Notification, OutboxMessage
from onboarding.notifications.relay import relay_drain
from onboarding.payments.models import (
    PaymentAttempt,
    PaymentMethod,
    SandboxCard,
    SandboxCharge,
    SandboxFault,
)
from onboarding.payments.sandbox_faults import sandbox_fault_arm
from tests.billing.conftest import reconcile_and_deliver
from tests.core.childproc import ROOT, child_database_url
from tests.waiting import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# 800 subscriptions in batches of 50 (sixteen batches), killed once a quarter are invoiced: the
# other 600 are the room for the kill to land mid-run on a loaded machine. (It was 2,000, killed
# at 300: the same checks, but the follow-ups' 2,000 PDFs made it the suite's slowest test.)
COUNT, DAY, DECLINING = 800, date(2030, 1, 15), 25  # every 25th card is declined
KILL_AT = COUNT // 4


def bill_run(log_path, *, batch_size: int = 50) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": child_database_url(), "PYTHONUNBUFFERED": "1"}
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "bill_run",
                f"--date={DAY}",
                f"--batch-size={batch_size}",
                "--progress-every=100",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


@pytest.fixture
def small_pdf_template(settings, tmp_path):
    """A one-line invoice layout, as a business may set one: PDFs are made for all 800
    invoices here, and the full layout is tested in test_documents.py."""
    folder = tmp_path / "templates" / "billing" / "pdf"
    folder.mkdir(parents=True)
    (folder / "invoice.html").write_text(
        "<p>{{ invoice.number }} {{ customer.name }} {{ invoice.total }}</p>"
    )
    (folder / "document.css").write_text("@page { size: A6; margin: 5mm }")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates", *settings.TEMPLATES[0]["DIRS"]]}
    ]


def test_a_killed_bill_run_run_again_bills_each_period_once_and_tells_everyone_once(
    tmp_path, settings, small_pdf_template
):
    seed_subscriptions(count=COUNT, due_at=due_moment(DAY), declining=DECLINING)
    log = tmp_path / "bill_run.log"

    first = bill_run(log)
    wait_until(
        lambda: Invoice.objects.count() >= KILL_AT or first.poll() is not None,
        timeout=90,
        what=f"the first bill run to issue some invoices; its log:\n{log.read_text()[-3000:]}",
    )
    first.send_signal(signal.SIGKILL)
    assert first.wait(10) == -signal.SIGKILL
    killed_at = Invoice.objects.count()
    assert 0 < killed_at < COUNT, "the run was not killed part-way"

    second = bill_run(log)
    assert second.wait(180) == 0, log.read_text()[-3000:]
    # Charges the dead run sent but never heard back from are settled by the payments
    # reconciler (by key, never sent again).
    reconcile_and_deliver(now=timezone.now() + timedelta(hours=1))

    # Each period invoiced once, and every subscription moved on by exactly one period.
    assert Invoice.objects.count() == COUNT
    assert Invoice.objects.values("subscription").distinct().count() == COUNT
    assert set(Subscription.objects.values_list("next_invoice_at", flat=True)) == {
        add_months(due_moment(DAY), 1)
    }
    seqs = sorted(Invoice.objects.values_list("number_seq", flat=True))
    assert seqs == list(range(1, COUNT + 1))  # numbers gap-free, the crash notwithstanding

    # Each invoice charged at most once: its own attempts' keys (a second only where the first
    # never reached the gateway), and one gateway charge per invoice.
    attempts = {
        number: set(range(1, count + 1))
        for number, count in Invoice.objects.values_list("number", "attempt_count")
    }
    for key in PaymentAttempt.objects.values_list("idempotency_key", flat=True):
        _, number, _, attempt = key.split(":")
        assert int(attempt) in attempts[number], key
    per_invoice = Counter(
        key.rsplit(":attempt:", 1)[0]
        for key in SandboxCharge.objects.values_list("idempotency_key", flat=True)
    )
    assert max(per_invoice.values()) == 1
    paid = Invoice.objects.filter(status=InvoiceStatus.PAID)
    assert paid.count() == SandboxCharge.objects.filter(status="succeeded").count()
    assert not Invoice.objects.filter(
        payment_state__in=[PaymentState.PROCESSING, PaymentState.PENDING]
    ).exists()
    failed = Invoice.objects.filter(payment_state__in=PAYMENT_FAILED)
    assert paid.count() + failed.count() == COUNT
    # A declining card is never paid, and every other card is: a charge the dead run never got
    # to the gateway is sent again at once once the reconciler finds the gateway has no record.
    poor = set(
        PaymentMethod.objects.filter(
            token__in=SandboxCard.objects.filter(behaviour="insufficient_funds").values("token")
        ).values_list("customer_id", flat=True)
    )
    assert len(poor) == COUNT // DECLINING
    assert not paid.filter(customer_id__in=poor).exists()
    assert paid.count() == COUNT - len(poor)
    assert set(failed.values_list("last_payment_code", flat=True)) == {"insufficient_funds"}

    # The workers' part, run twice: every invoice gets its one notice (with the PDF), every
    # failed payment its admin alert, and the second pass queues nothing more.
    invoice_follow_ups(invoice_ids=follow_ups_due(limit=COUNT + 1))
    notices = Notification.objects.filter(kind="invoice_issued")
    assert notices.count() == COUNT
    invoice_follow_ups(invoice_ids=list(Invoice.objects.values_list("pk", flat=True)))
    assert notices.count() == COUNT
    assert not follow_ups_due()
    assert all(n.attachments for n in notices.only("attachments"))

    # ...and delivered once: one inbox message per in-app notice, one email per email notice.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    relay_drain(worker_id="crash-test-relay", batch_size=500)
    assert not OutboxMessage.objects.exclude(status="sent").exists()
    in_app = sum(
        "in_app" in channels for channels in Notification.objects.values_list("channels", flat=True)
    )
    assert InboxMessage.objects.count() == in_app
    by_message_id = Counter(message.extra_headers["Message-ID"] for message in mail.outbox)
    assert len(mail.outbox) == OutboxMessage.objects.filter(channel="email").count()
    assert max(by_message_id.values()) == 1
    assert (
        Notification.objects.values("dedupe_key").annotate(n=Count("id")).filter(n__gt=1).count()
        == 0
    )


KILLS, SMALL_COUNT, SMALL_BATCH = 4, 300, 25


def kill_while_the_provider_holds_a_charge(log, *, held: int) -> None:
    """Start a bill run, wait until the sandbox provider holds its first charge (the `held`-th
    stall taken), and SIGKILL it there: that batch's attempts are committed, none received."""
    sandbox_fault_arm(operation="charge", kind="stall")
    run = bill_run(log, batch_size=SMALL_BATCH)
    wait_until(
        lambda: (
            SandboxFault.objects.filter(kind="stall", remaining=0).count() == held
            or run.poll() is not None
        ),
        timeout=60,
        what=f"bill run {held} to be held by the provider (see {log})",
    )
    run.send_signal(signal.SIGKILL)
    assert run.wait(10) == -signal.SIGKILL, log.read_text()[-3000:]


def test_charges_killed_bill_runs_never_sent_are_sent_again_and_paid_without_a_failure_notice(
    tmp_path, small_pdf_template
):
    """Four bill runs are SIGKILLed while the provider holds a charge (a "stall": nothing
    recorded yet), each leaving a batch of attempts the gateway never received. After a full
    run and the reconciler, every good card's invoice is paid, once, and nobody with a good card
    was told a payment failed."""
    seed_subscriptions(count=SMALL_COUNT, due_at=due_moment(DAY), declining=DECLINING)
    log = tmp_path / "bill_run.log"
    for held in range(1, KILLS + 1):
        kill_while_the_provider_holds_a_charge(log, held=held)
    received = SandboxCharge.objects.values("idempotency_key")
    never_received = set(
        PaymentAttempt.objects.exclude(idempotency_key__in=received).values_list(
            "invoice_reference", flat=True
        )
    )
    assert len(never_received) == KILLS * SMALL_BATCH

    last = bill_run(log, batch_size=SMALL_BATCH)
    assert last.wait(120) == 0, log.read_text()[-3000:]
    reconcile_and_deliver(now=timezone.now() + timedelta(hours=1))

    poor = set(
        PaymentMethod.objects.filter(
            token__in=SandboxCard.objects.filter(behaviour="insufficient_funds").values("token")
        ).values_list("customer_id", flat=True)
    )
    good = Invoice.objects.exclude(customer_id__in=poor)
    assert Invoice.objects.count() == SMALL_COUNT
    assert good.count() == SMALL_COUNT - len(poor)
    assert set(good.values_list("status", flat=True)) == {InvoiceStatus.PAID}
    assert not Invoice.objects.filter(customer_id__in=poor, status=InvoiceStatus.PAID).exists()
    # The gateway took at most one successful charge per invoice.
    per_invoice = Counter(
        key.rsplit(":attempt:", 1)[0]
        for key in SandboxCharge.objects.filter(status="succeeded").values_list(
            "idempotency_key", flat=True
        )
    )
    assert sorted(per_invoice.values()) == [1] * good.count()
    # Each never-received attempt was sent again at once as its invoice's next attempt, audited.
    resent = AuditEntry.objects.filter(action="invoice.payment_resent")
    assert resent.count() == len(never_received)
    assert not AuditEntry.objects.filter(
        action="invoice.payment_failed", customer_id__in=good.values("customer_id")
    ).exists()

    # The workers' notices for the invoices at stake (PDFs make all 300 slow): nobody whose
    # charge never reached the provider is told a payment failed; the poor cards are.
    at_stake = Invoice.objects.filter(number__in=never_received) | Invoice.objects.filter(
        customer_id__in=poor
    )
    invoice_follow_ups(invoice_ids=list(at_stake.values_list("pk", flat=True)))
    assert Notification.objects.filter(kind="invoice_issued").count() == at_stake.count()
    told_failed = Notification.objects.filter(kind="payment_failed") | Notification.objects.filter(
        kind="invoice_issued", subject__contains="did not go through"
    )
    assert set(told_failed.values_list("recipient_id", flat=True)) == poor
