"""After an invoice is issued a worker makes its PDF, then tells the customer (inbox and email
with the PDF), once, audited."""

import hashlib
import io
from datetime import date

import pypdf
import pytest
from django.core.files.storage import default_storage

from onboarding.audit.models import AuditEntry
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.followups import invoice_follow_up
from onboarding.billing.models import Invoice
from onboarding.billing.tasks import follow_ups_dispatch
from onboarding.notifications.models import InboxMessage, Notification
from onboarding.notifications.relay import relay_drain
from tests.billing.conftest import bought, ready_customer, run_tasks, utc
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def pdf_text(path: str) -> str:
    with default_storage.open(path, "rb") as handle:
        reader = pypdf.PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def invoice(plan) -> Invoice:
    user = UserFactory(preferred_inbox="in_app")
    bought(ready_customer(user, company="Globex Corporation"), plan, anchor=utc(2030, 5, 2, 9))
    bill_run_execute(run_date=date(2030, 5, 2))
    return Invoice.objects.select_related("customer__user").get()


def test_the_bill_run_leaves_pdf_and_notices_to_the_workers(invoice):
    assert invoice.followup_due is True
    assert invoice.pdf_path == ""
    assert not Notification.objects.filter(kind="invoice_issued").exists()


def test_the_pdf_shows_the_number_the_customer_and_the_total(invoice):
    invoice_follow_up(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    text = pdf_text(invoice.pdf_path)
    assert invoice.number in text
    assert "Globex Corporation" in text
    assert "118.80 EUR" in text
    assert "Tax (20%)" in text


def test_the_stored_pdf_matches_its_recorded_sha256_and_is_audited(invoice):
    invoice_follow_up(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    with default_storage.open(invoice.pdf_path, "rb") as handle:
        content = handle.read()
    assert content.startswith(b"%PDF-")
    assert hashlib.sha256(content).hexdigest() == invoice.pdf_sha256
    assert invoice.pdf_sha256[:16] in invoice.pdf_path
    entry = AuditEntry.objects.get(action="invoice.pdf_generated", object_id=str(invoice.pk))
    assert entry.changes["pdf_sha256"] == invoice.pdf_sha256


def test_the_customer_is_told_in_the_preferred_inbox_and_by_email_with_the_pdf(invoice):
    invoice_follow_up(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    notice = Notification.objects.get(kind="invoice_issued")
    assert notice.recipient == invoice.customer.user
    assert notice.channels == ["in_app", "email"]
    assert notice.attachments == [
        {
            "filename": f"{invoice.number}.pdf",
            "content_type": "application/pdf",
            "storage_path": invoice.pdf_path,
        }
    ]
    # Paid already: the one notice is the receipt too.
    assert "(paid)" in notice.subject
    assert "This is your receipt" in notice.body_text
    assert invoice.issue_notified_at is not None
    assert invoice.followup_due is False
    logged = AuditEntry.objects.get(action="invoice.notified", object_id=str(invoice.pk))
    assert logged.changes["notification"] == notice.pk


def test_following_up_twice_tells_the_customer_once(invoice):
    invoice_follow_up(invoice_id=invoice.pk)
    invoice_follow_up(invoice_id=invoice.pk)
    assert (
        Notification.objects.filter(recipient=invoice.customer.user)
        .exclude(kind__in=["purchase_confirmed"])
        .count()
        == 1
    )
    assert AuditEntry.objects.filter(action="invoice.notified").count() == 1


def test_the_email_arrives_with_the_pdf_attached_and_the_inbox_gets_the_notice(invoice, smtp_mail):
    invoice_follow_up(invoice_id=invoice.pk)
    relay_drain(worker_id="test-relay")
    invoice.refresh_from_db()
    [mail] = [m for m in smtp_mail.sink.to(invoice.bill_to_email) if invoice.number in m.subject]
    [(filename, content_type, content)] = mail.attachments()
    assert (filename, content_type) == (f"{invoice.number}.pdf", "application/pdf")
    assert hashlib.sha256(content).hexdigest() == invoice.pdf_sha256
    assert InboxMessage.objects.filter(
        recipient=invoice.customer.user, subject__contains=invoice.number
    ).exists()


@pytest.mark.django_db(transaction=True)
def test_the_dispatcher_hands_due_invoices_to_workers_which_follow_them_up(invoice):
    assert follow_ups_dispatch() == 1
    assert follow_ups_dispatch() == 0  # queued already, not twice
    run_tasks()
    invoice.refresh_from_db()
    assert invoice.followup_due is False
    assert invoice.issue_notified_at is not None


def test_a_business_restyles_the_pdf_with_its_own_template(invoice, settings, tmp_path):
    own = tmp_path / "templates" / "billing" / "pdf"
    own.mkdir(parents=True)
    (own / "invoice.html").write_text(
        "<html><body><h1>Rechnung {{ invoice.number }}</h1><p>{{ invoice.total }}</p></body></html>"
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [own.parent.parent, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    invoice_follow_up(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert f"Rechnung {invoice.number}" in pdf_text(invoice.pdf_path)
