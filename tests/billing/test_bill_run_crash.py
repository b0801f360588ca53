"""A bill run killed with SIGKILL part-way through 2,000 subscriptions, then run again to the
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
from onboarding.payments.models import PaymentAttempt, PaymentMethod, SandboxCard, SandboxCharge
from onboarding.payments.reconcile import payment_reconcile_unknown
from tests.core.childproc import ROOT, child_database_url
from tests.waiting import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

COUNT, DAY, DECLINING = 2000, date(2030, 1, 15), 25  # every 25th card is declined


def bill_run(log_path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": child_database_url(), "PYTHONUNBUFFERED": "1"}
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "bill_run",
                f"--date={DAY}",
                "--batch-size=50",
                "--progress-every=100",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


@pytest.fixture
def small_pdf_template(settings, tmp_path):
    """A one-line invoice layout, as a business may set one: PDFs are made for all 2,000
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
        lambda: Invoice.objects.count() >= 300 or first.poll() is not None,
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
    later = timezone.now() + timedelta(hours=1)
    while payment_reconcile_unknown(now=later):
        pass

    # Each period invoiced once, and every subscription moved on by exactly one period.
    assert Invoice.objects.count() == COUNT
    assert Invoice.objects.values("subscription").distinct().count() == COUNT
    assert set(Subscription.objects.values_list("next_invoice_at", flat=True)) == {
        add_months(due_moment(DAY), 1)
    }
    seqs = sorted(Invoice.objects.values_list("number_seq", flat=True))
    assert seqs == list(range(1, COUNT + 1))  # numbers gap-free, the crash notwithstanding

    # Each invoice charged at most once: one attempt, one gateway charge per key and invoice.
    assert set(PaymentAttempt.objects.values_list("idempotency_key", flat=True)) <= {
        f"invoice:{n}:attempt:1" for n in Invoice.objects.values_list("number", flat=True)
    }
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
    # A declining card is never paid; a charge the dead run sent that the gateway never
    # received is failed by the reconciler ("not_received") and left to dunning.
    poor = set(
        PaymentMethod.objects.filter(
            token__in=SandboxCard.objects.filter(behaviour="insufficient_funds").values("token")
        ).values_list("customer_id", flat=True)
    )
    assert len(poor) == COUNT // DECLINING
    assert not paid.filter(customer_id__in=poor).exists()
    assert set(failed.values_list("last_payment_code", flat=True)) <= {
        "insufficient_funds",
        "not_received",
    }

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
