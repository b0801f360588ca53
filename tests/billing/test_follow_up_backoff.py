"""A follow-up that fails (a PDF that cannot be rendered) is retried after a backoff that doubles
with each failure in a row up to a cap, never at every pass of the 10 s dispatcher: the invoice
stays due, the admin alert counts the failures, and a success clears the backoff. Credit notes
back off the same way. Time is moved by handing the dispatcher its `now`."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from onboarding.alerts.models import AdminAlert
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.followups import (
    credit_note_follow_up,
    credit_note_follow_ups_due,
    follow_ups_due,
)
from onboarding.billing.models import CreditNote, Invoice
from onboarding.billing.services import invoice_refund
from onboarding.billing.tasks import follow_ups_dispatch
from onboarding.core.money import Money
from tests.billing.conftest import buy, ready_customer, today
from tests.documents import unrenderable
from tests.worker.conftest import run_worker_in_process

pytestmark = pytest.mark.django_db(transaction=True)
BASE, CAP = 60, 240
SECOND = timedelta(seconds=1)


@pytest.fixture(autouse=True)
def _backoff(settings):
    settings.TASK_RETRY_BASE_SECONDS, settings.TASK_RETRY_MAX_SECONDS = BASE, CAP


@pytest.fixture
def invoice(plan, customer) -> Invoice:
    """Issued and paid by the bill run, flagged for its follow-up, which no worker has run."""
    buy(ready_customer(customer), plan)
    bill_run_execute(run_date=today())
    invoice = Invoice.objects.get()
    assert (invoice.followup_due, invoice.pdf_path) == (True, "")
    return invoice


def dispatched_and_run(now: datetime | None = None) -> int:
    """One pass of the periodic dispatcher as at `now`, then the worker; chunks queued."""
    queued = follow_ups_dispatch(now=now)
    run_worker_in_process()
    return queued


def ceiling(failures: int) -> timedelta:
    return timedelta(seconds=min(CAP, BASE * 2 ** (failures - 1)))


def test_a_failed_follow_up_is_not_queued_again_before_its_backoff(
    invoice, renders, settings, tmp_path
):
    with unrenderable(settings, tmp_path, "billing/pdf/document.css"):
        before = timezone.now()
        assert dispatched_and_run() == 1
        after = timezone.now()
        invoice.refresh_from_db()
        assert renders == ["billing/pdf/invoice.html"]
        assert (invoice.followup_due, invoice.followup_failures) == (True, 1)
        # Equal jitter: between half and all of the base.
        assert before + ceiling(1) / 2 <= invoice.followup_not_before <= after + ceiling(1)

        # The dispatcher's next passes, up to the backoff's end, queue nothing and render nothing.
        for now in (timezone.now(), invoice.followup_not_before - SECOND):
            assert follow_ups_due(now=now) == []
            assert dispatched_and_run(now) == 0
        assert len(renders) == 1

        # From the backoff's end, it is due and tried again.
        assert follow_ups_due(now=invoice.followup_not_before) == [invoice.pk]
        assert dispatched_and_run(invoice.followup_not_before) == 1
    assert len(renders) == 2
    invoice.refresh_from_db()
    assert (invoice.followup_due, invoice.followup_failures) == (True, 2)


def test_each_failure_in_a_row_doubles_the_backoff_up_to_its_cap_with_one_alert(
    invoice, renders, settings, tmp_path
):
    with unrenderable(settings, tmp_path, "billing/pdf/document.css"):
        now = None
        for failures in range(1, 6):
            before = timezone.now()
            assert dispatched_and_run(now) == 1
            after = timezone.now()
            invoice.refresh_from_db()
            assert invoice.followup_failures == failures
            wait = ceiling(failures)
            assert before + wait / 2 <= invoice.followup_not_before <= after + wait
            now = invoice.followup_not_before

    assert ceiling(5) == timedelta(seconds=CAP)  # the last three waited at the cap
    assert len(renders) == 5
    assert invoice.followup_due  # nothing is dropped: still due, tried at the cap's pace
    alert = AdminAlert.objects.get(reason="invoice_follow_up_failed")
    assert (alert.object_id, alert.count) == (str(invoice.pk), 5)


def test_a_follow_up_that_succeeds_after_failures_clears_its_backoff(
    invoice, renders, settings, tmp_path
):
    with unrenderable(settings, tmp_path, "billing/pdf/document.css"):
        dispatched_and_run()
        dispatched_and_run(Invoice.objects.get().followup_not_before)
    invoice.refresh_from_db()
    assert invoice.followup_failures == 2

    # The stylesheet is fixed: the next try once the backoff is over stores the PDF.
    assert dispatched_and_run(invoice.followup_not_before) == 1
    invoice.refresh_from_db()
    assert invoice.pdf_path.endswith(".pdf")
    assert invoice.issue_notified_at is not None
    assert (invoice.followup_due, invoice.followup_failures) == (False, 0)
    assert invoice.followup_not_before is None
    assert follow_ups_due(now=timezone.now() + timedelta(days=1)) == []
    assert len(renders) == 3


def test_a_failure_of_one_invoice_holds_back_only_that_invoice(invoice, plan, settings, tmp_path):
    Invoice.objects.filter(pk=invoice.pk).update(
        followup_failures=3, followup_not_before=timezone.now() + timedelta(minutes=5)
    )
    other = ready_customer()
    buy(other, plan)
    bill_run_execute(run_date=today())
    fresh = Invoice.objects.get(customer=other)
    assert follow_ups_due() == [fresh.pk]


def test_a_credit_note_whose_follow_up_fails_waits_out_its_backoff(
    invoice, sysops, settings, tmp_path
):
    note = invoice_refund(invoice=invoice, actor=sysops, amount=Money(500, "EUR"), reason="Late")
    with unrenderable(settings, tmp_path, "billing/pdf/document.css"):
        before = timezone.now()
        with pytest.raises(OverflowError):  # WeasyPrint on the infinite font size
            credit_note_follow_up(credit_note_id=note.pk)
        after = timezone.now()
    note.refresh_from_db()
    assert (note.followup_due, note.followup_failures, note.pdf_path) == (True, 1, "")
    assert before + ceiling(1) / 2 <= note.followup_not_before <= after + ceiling(1)
    assert credit_note_follow_ups_due(now=note.followup_not_before - SECOND) == []
    assert credit_note_follow_ups_due(now=note.followup_not_before) == [note.pk]

    assert credit_note_follow_up(credit_note_id=note.pk) is True
    note = CreditNote.objects.get(pk=note.pk)
    assert (note.followup_due, note.followup_failures, note.followup_not_before) == (
        False,
        0,
        None,
    )
    assert note.pdf_path.endswith(".pdf")
