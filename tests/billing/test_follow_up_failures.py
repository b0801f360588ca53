"""A follow-up that fails is reported before anything else is written about it: its backoff is a
database write that can fail too, and then the admin still hears of the failure, and the other
invoices of the chunk are still followed up. A follow-up that keeps failing is one open alert that
counts, not a new alert and email every ALERT_DEDUPE_WINDOW.

One invoice fails for a real reason: the invoice stylesheet WeasyPrint cannot lay out, while the
other invoice already has its PDF and needs only its notice. The backoff's write fails in the real
database (tests/db_faults.py)."""

import pytest
from django.utils import timezone

from onboarding.alerts.models import AdminAlert, AlertState
from onboarding.alerts.services import ALERT_NOTIFICATION_KIND
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.followups import (
    credit_note_follow_up,
    invoice_follow_ups,
    invoice_pdf_ensure,
)
from onboarding.billing.models import CreditNote, Invoice
from onboarding.billing.services import invoice_refund
from onboarding.core.money import Money
from onboarding.notifications.models import Notification
from tests.billing.conftest import buy, ready_customer, today
from tests.db_faults import HICCUP, database_fails
from tests.documents import unrenderable

pytestmark = pytest.mark.django_db
INVOICE_STYLE = "billing/pdf/document.css"


@pytest.fixture
def invoices(plan, customer) -> tuple[Invoice, Invoice]:
    """(broken, fine): both issued and paid by the bill run and due their follow-up; `fine`
    already has its PDF, so only `broken` is rendered by the follow-up."""
    buy(ready_customer(customer), plan)
    buy(ready_customer(), plan)
    bill_run_execute(run_date=today())
    broken, fine = Invoice.objects.order_by("pk")
    invoice_pdf_ensure(invoice=fine)
    assert (broken.followup_due, broken.pdf_path) == (True, "")
    assert Invoice.objects.get(pk=fine.pk).followup_due is True
    return broken, fine


def _followed_up(invoice: Invoice) -> bool:
    invoice.refresh_from_db()
    return invoice.issue_notified_at is not None and not invoice.followup_due


def test_one_failing_invoice_is_reported_held_back_and_the_rest_are_followed_up(
    invoices, admin_user, settings, tmp_path
):
    broken, fine = invoices
    with unrenderable(settings, tmp_path, INVOICE_STYLE):
        assert invoice_follow_ups(invoice_ids=[broken.pk, fine.pk]) == 1

    assert _followed_up(fine)
    alert = AdminAlert.objects.get(reason="invoice_follow_up_failed")
    assert (alert.object_id, alert.customer_id) == (str(broken.pk), broken.customer_id)
    assert "OverflowError" in alert.message
    broken.refresh_from_db()
    assert (broken.followup_due, broken.followup_failures) == (True, 1)
    assert broken.followup_not_before > timezone.now()


def test_a_backoff_that_cannot_be_written_loses_neither_the_report_nor_the_other_invoices(
    invoices, admin_user, settings, tmp_path
):
    broken, fine = invoices
    with (
        unrenderable(settings, tmp_path, INVOICE_STYLE),
        database_fails(
            Invoice,
            "UPDATE",
            when="NEW.followup_failures > OLD.followup_failures",
            name="invoice_backoff_hiccup",
        ),
    ):
        assert invoice_follow_ups(invoice_ids=[broken.pk, fine.pk]) == 1

    assert _followed_up(fine)
    failed = AdminAlert.objects.get(reason="invoice_follow_up_failed")
    assert failed.object_id == str(broken.pk)
    assert "OverflowError" in failed.message
    # The backoff's own failure is told too: the invoice is tried again at the next pass.
    unheld = AdminAlert.objects.get(reason="follow_up_backoff_failed")
    assert (unheld.object_type, unheld.object_id) == ("billing.invoice", str(broken.pk))
    assert HICCUP in unheld.message
    broken.refresh_from_db()
    assert (broken.followup_due, broken.followup_failures) == (True, 0)


def test_a_follow_up_that_keeps_failing_past_the_window_counts_on_its_open_alert(
    invoices, admin_user, settings, tmp_path
):
    broken, _ = invoices
    with unrenderable(settings, tmp_path, INVOICE_STYLE):
        invoice_follow_ups(invoice_ids=[broken.pk])
        long_ago = timezone.now() - settings.ALERT_DEDUPE_WINDOW * 3
        AdminAlert.objects.filter(reason="invoice_follow_up_failed").update(
            first_seen_at=long_ago, last_seen_at=long_ago
        )
        invoice_follow_ups(invoice_ids=[broken.pk])

    alert = AdminAlert.objects.get(reason="invoice_follow_up_failed")
    assert alert.count == 2
    assert Notification.objects.filter(kind=ALERT_NOTIFICATION_KIND).count() == 1


def test_a_credit_note_whose_backoff_cannot_be_written_raises_its_own_error_and_is_reported(
    invoices, sysops, admin_user, settings, tmp_path
):
    _, fine = invoices
    note = invoice_refund(invoice=fine, actor=sysops, amount=Money(500, "EUR"), reason="Late")
    with (
        unrenderable(settings, tmp_path, INVOICE_STYLE),
        database_fails(
            CreditNote,
            "UPDATE",
            when="NEW.followup_failures > OLD.followup_failures",
            name="credit_note_backoff_hiccup",
        ),
        pytest.raises(OverflowError),  # the rendering's error reaches the worker, not the hiccup
    ):
        credit_note_follow_up(credit_note_id=note.pk)

    unheld = AdminAlert.objects.get(reason="follow_up_backoff_failed")
    assert (unheld.object_type, unheld.object_id) == ("billing.creditnote", str(note.pk))
    assert HICCUP in unheld.message
    assert CreditNote.objects.get(pk=note.pk).followup_failures == 0


def test_a_later_successful_follow_up_resolves_the_failures_alert(
    invoices, admin_user, settings, tmp_path
):
    broken, fine = invoices
    with unrenderable(settings, tmp_path, INVOICE_STYLE):
        invoice_follow_ups(invoice_ids=[broken.pk])
    assert AdminAlert.objects.get(reason="invoice_follow_up_failed").state == AlertState.OPEN

    # The stylesheet is fixed: the next try produces the PDF and notice, and closes the alert.
    assert invoice_follow_ups(invoice_ids=[broken.pk, fine.pk]) == 2

    assert _followed_up(broken)
    alert = AdminAlert.objects.get(reason="invoice_follow_up_failed")
    assert (alert.state, alert.resolved_automatically) == (AlertState.RESOLVED, True)
    assert broken.number in alert.resolution_note
    # A new failure afterwards is a new alert, emailed again.
    with unrenderable(settings, tmp_path, INVOICE_STYLE):
        Invoice.objects.filter(pk=broken.pk).update(followup_due=True, pdf_path="")
        invoice_follow_ups(invoice_ids=[broken.pk])
    assert AdminAlert.objects.filter(reason="invoice_follow_up_failed").count() == 2
    assert Notification.objects.filter(kind=ALERT_NOTIFICATION_KIND).count() == 2
