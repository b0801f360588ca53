"""After an invoice is issued a worker makes its PDF, then tells the customer (inbox and email
with the PDF), once, audited. The PDF is a document a business can file: both VAT numbers, a
"Paid" mark with the day and card once paid, one font family."""

import hashlib
import io
import re
from datetime import date
from pathlib import Path, PurePosixPath

import pypdf
import pytest
from django.core.files.storage import default_storage

from onboarding.accounts.services import customer_profile_update
from onboarding.audit.models import AuditEntry
from onboarding.billing import documents
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.followups import (
    credit_note_pdf_ensure,
    invoice_follow_up,
    invoice_pdf_ensure,
)
from onboarding.billing.models import Invoice, InvoiceStatus, Subscription
from onboarding.billing.services import invoice_pay, invoice_refund, subscription_purchase
from onboarding.billing.tasks import follow_ups_dispatch
from onboarding.catalog.models import PlanPrice
from onboarding.notifications.models import InboxMessage, Notification
from onboarding.notifications.relay import relay_drain
from tests.billing.conftest import DECLINING_CARD, bought, ready_customer, run_tasks, utc
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.payments.helpers import GOOD_CARD, card_on_file

pytestmark = pytest.mark.django_db


def pdf_reader(path: str) -> pypdf.PdfReader:
    with default_storage.open(path, "rb") as handle:
        return pypdf.PdfReader(io.BytesIO(handle.read()))


def pdf_text(path: str) -> str:
    return "\n".join(page.extract_text() for page in pdf_reader(path).pages)


def pdf_font_families(path: str) -> set[str]:
    """The families of the fonts embedded in the PDF, their subset tag and style dropped:
    "UWGIWA+DejaVu-Sans-Bold" -> "DejaVu-Sans"."""
    families = set()
    for page in pdf_reader(path).pages:
        for font in page["/Resources"]["/Font"].values():
            name = str(font.get_object()["/BaseFont"]).lstrip("/").split("+", 1)[-1]
            families.add(re.sub(r"[-,]?(Bold|Oblique|Italic|Book|Regular)+$", "", name))
    return families


@pytest.fixture
def invoice(plan) -> Invoice:
    user = UserFactory(preferred_inbox="in_app")
    bought(ready_customer(user, company="Globex Corporation"), plan, anchor=utc(2030, 5, 2, 9))
    bill_run_execute(run_date=date(2030, 5, 2))
    return Invoice.objects.select_related("customer__user").get()


@pytest.fixture
def declined(plan) -> Invoice:
    """An invoice issued to a card that declined: open, unpaid, its PDF stored."""
    customer = ready_customer(company="Initech GmbH", country="DE", card=DECLINING_CARD)
    bought(customer, plan, anchor=utc(2030, 5, 2, 9))
    bill_run_execute(run_date=date(2030, 5, 2))
    invoice = Invoice.objects.get()
    invoice_follow_up(invoice_id=invoice.pk)
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
    assert "€118.80" in text  # as the invoice page writes it for a customer in GB (en_GB)
    assert "118.80 EUR" not in text
    assert "VAT 20%" in text  # the tax summary: the customer is billed in GB


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
    # Paid already, and the customer reads the in-app inbox: the payment notice goes there, on
    # its own (the invoice's email carries the PDF, not the outcome).
    assert "(paid)" not in notice.subject
    receipt = Notification.objects.get(kind="payment_received")
    assert receipt.recipient == invoice.customer.user
    assert receipt.channels == ["in_app"]
    assert invoice.number in receipt.subject
    assert invoice.issue_notified_at is not None
    assert invoice.followup_due is False
    logged = AuditEntry.objects.get(action="invoice.notified", object_id=str(invoice.pk))
    assert logged.changes["notification"] == notice.pk


def test_following_up_twice_tells_the_customer_once(invoice):
    invoice_follow_up(invoice_id=invoice.pk)
    invoice_follow_up(invoice_id=invoice.pk)
    kinds = (
        Notification.objects.filter(recipient=invoice.customer.user)
        .exclude(kind__in=["purchase_confirmed"])
        .values_list("kind", flat=True)
    )
    assert sorted(kinds) == ["invoice_issued", "payment_received"]
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


def test_a_paid_invoice_pdf_shows_both_vat_numbers_and_when_and_how_it_was_paid(plan, settings):
    settings.BILLING_SELLER_TAX_ID = "GB123456789"
    customer = ready_customer(company="Initech GmbH", country="DE", vat_number="DE136695976")
    bought(customer, plan, anchor=utc(2030, 5, 2, 9))
    bill_run_execute(run_date=date(2030, 5, 2))
    invoice = Invoice.objects.get()
    invoice_follow_up(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID

    text = pdf_text(invoice.pdf_path)

    assert "VAT number GB123456789" in text
    assert "VAT number DE136695976" in text
    assert "PAID" in text
    assert f"Paid in full on {invoice.paid_at:%-d %B %Y} by Visa •••• 4242" in text
    assert re.search(r"^Paid by$", text, re.MULTILINE)  # and among the invoice's facts


def test_an_unpaid_invoice_pdf_has_no_paid_mark_and_no_customer_vat_number_when_none_is_set(
    declined, settings
):
    text = pdf_text(declined.pdf_path)

    assert declined.status == InvoiceStatus.OPEN
    assert declined.number in text
    assert "PAID" not in text
    assert "Paid" not in text
    assert "••••" not in text
    assert "VAT number" not in text  # neither seller (unset here) nor customer has one


def test_an_invoice_paid_after_its_pdf_was_stored_gets_a_paid_pdf_and_keeps_the_issued_one(
    declined,
):
    issued_path, issued_sha = declined.pdf_path, declined.pdf_sha256
    card_on_file(declined.customer, GOOD_CARD, password=DEFAULT_PASSWORD)
    invoice_pay(invoice=declined, actor=declined.customer.user)

    invoice_follow_up(invoice_id=declined.pk)

    declined.refresh_from_db()
    assert declined.pdf_path != issued_path
    assert "PAID" in pdf_text(declined.pdf_path)
    assert "PAID" not in pdf_text(issued_path)  # the issued version is still there, unchanged
    with default_storage.open(declined.pdf_path, "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == declined.pdf_sha256
    generated = AuditEntry.objects.filter(
        action="invoice.pdf_generated", object_id=str(declined.pk)
    ).order_by("id")
    assert [entry.changes["pdf_sha256"] for entry in generated] == [issued_sha, declined.pdf_sha256]
    assert generated.last().changes["replaces"] == issued_sha


def test_a_paid_invoice_pdf_is_rendered_once_not_on_every_download(invoice):
    invoice_follow_up(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    stored = invoice.pdf_path

    again = invoice_pdf_ensure(invoice=invoice)

    assert again.pdf_path == stored
    assert AuditEntry.objects.filter(action="invoice.pdf_generated").count() == 1


def test_the_invoice_pdf_uses_one_font_family_footer_included(invoice):
    invoice_follow_up(invoice_id=invoice.pk)
    invoice.refresh_from_db()

    assert pdf_font_families(invoice.pdf_path) == {"DejaVu-Sans"}
    assert "Page 1 of 1" in pdf_text(invoice.pdf_path)


def test_the_credit_note_pdf_shows_both_vat_numbers_in_one_font_family(plan, settings, sysops):
    settings.BILLING_SELLER_TAX_ID = "GB123456789"
    customer = ready_customer(company="Initech GmbH", country="DE", vat_number="DE136695976")
    bought(customer, plan, anchor=utc(2030, 5, 2, 9))
    bill_run_execute(run_date=date(2030, 5, 2))
    invoice = Invoice.objects.get()
    credit_note = invoice_refund(invoice=invoice, actor=sysops, reason="Bought by mistake")

    credit_note = credit_note_pdf_ensure(credit_note=credit_note)

    text = pdf_text(credit_note.pdf_path)
    assert "VAT number GB123456789" in text
    assert "VAT number DE136695976" in text
    assert pdf_font_families(credit_note.pdf_path) == {"DejaVu-Sans"}


def test_the_invoice_and_credit_note_pdfs_write_money_as_the_customers_country_does(plan, sysops):
    customer = ready_customer(company="Initech GmbH", country="DE")
    bought(customer, plan, anchor=utc(2030, 5, 2, 9))
    bill_run_execute(run_date=date(2030, 5, 2))
    invoice = Invoice.objects.get()
    invoice_follow_up(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    # Germany moves the decimal comma and the symbol: 99.00 EUR + 19% = 117,81 €.
    text = pdf_text(invoice.pdf_path)
    assert "99,00\xa0€" in text and "18,81\xa0€" in text and "117,81\xa0€" in text
    assert "EUR" in text  # "All amounts in EUR" keeps the code for the filing clerk
    assert "117.81 EUR" not in text

    credit_note = credit_note_pdf_ensure(
        credit_note=invoice_refund(invoice=invoice, actor=sysops, reason="Bought by mistake")
    )
    credited = pdf_text(credit_note.pdf_path)
    assert "117,81\xa0€" in credited and "117.81 EUR" not in credited


def test_a_pdf_keeps_the_country_it_was_issued_for_after_the_customer_moves(plan, sysops):
    customer = ready_customer(company="Initech GmbH", country="DE")
    bought(customer, plan, anchor=utc(2030, 5, 2, 9))
    bill_run_execute(run_date=date(2030, 5, 2))
    invoice = Invoice.objects.get()
    customer_profile_update(
        customer=customer, actor=customer.user, profile={"country": "IE", "postal_code": "D02 X285"}
    )

    context = documents.invoice_context(Invoice.objects.get(pk=invoice.pk))

    assert context["invoice"]["total"] == "117,81\xa0€"  # the invoice's country, not today's
    assert context["tax_summary"][0]["net"] == "99,00\xa0€"


def test_a_yen_invoice_pdf_has_no_decimals(plan):
    PlanPrice.objects.create(plan=plan, cycle="monthly", currency="JPY", amount_minor=12000)
    customer = ready_customer(company="Kaisha KK", country="JP")
    subscription = subscription_purchase(
        customer=customer, plan=plan, cycle="monthly", currency="JPY", actor=customer.user
    )
    Subscription.objects.filter(pk=subscription.pk).update(
        purchased_at=utc(2030, 5, 2, 9),
        billing_anchor=utc(2030, 5, 2, 9),
        next_invoice_at=utc(2030, 5, 2, 9),
    )
    bill_run_execute(run_date=date(2030, 5, 2))
    invoice = Invoice.objects.get()
    assert invoice.currency == "JPY"
    invoice_follow_up(invoice_id=invoice.pk)
    invoice.refresh_from_db()

    text = pdf_text(invoice.pdf_path)

    assert "¥12,000" in text  # en_JP: the symbol, no ".00"
    assert "12,000.00" not in text and "¥120" not in text


def _set_vat_number(customer, number: str) -> None:
    customer_profile_update(customer=customer, actor=customer.user, profile={"vat_number": number})


def test_an_invoice_pdf_shows_the_vat_number_it_was_issued_with_and_the_next_one_the_new(plan):
    customer = ready_customer(company="Initech GmbH", country="DE", vat_number="DE136695976")
    subscription = bought(customer, plan, anchor=utc(2030, 5, 2, 9))
    bill_run_execute(run_date=date(2030, 5, 2))
    _set_vat_number(customer, "DE811569869")
    bill_run_execute(run_date=date(2030, 6, 2))

    first, renewal = Invoice.objects.filter(subscription=subscription).order_by("period_start")
    invoice_follow_up(invoice_id=first.pk)
    invoice_follow_up(invoice_id=renewal.pk)
    first.refresh_from_db()
    renewal.refresh_from_db()

    assert "VAT number DE136695976" in pdf_text(first.pdf_path)
    assert "DE811569869" not in pdf_text(first.pdf_path)
    assert "VAT number DE811569869" in pdf_text(renewal.pdf_path)


def test_an_invoice_paid_after_the_vat_number_changed_keeps_the_issued_number_on_its_paid_pdf(
    plan,
):
    customer = ready_customer(
        company="Initech GmbH", country="DE", vat_number="DE136695976", card=DECLINING_CARD
    )
    bought(customer, plan, anchor=utc(2030, 5, 2, 9))
    bill_run_execute(run_date=date(2030, 5, 2))
    invoice = Invoice.objects.select_related("customer__user").get()
    invoice_follow_up(invoice_id=invoice.pk)
    _set_vat_number(customer, "")
    card_on_file(customer, GOOD_CARD, password=DEFAULT_PASSWORD)
    invoice_pay(invoice=invoice, actor=customer.user)

    invoice_follow_up(invoice_id=invoice.pk)

    invoice.refresh_from_db()
    assert invoice.pdf_path.split("/")[-1].startswith(f"{invoice.number}-paid.")
    text = pdf_text(invoice.pdf_path)
    assert "PAID" in text
    assert "VAT number DE136695976" in text


def test_a_credit_note_shows_the_vat_number_its_invoice_was_issued_with(plan, sysops):
    customer = ready_customer(company="Initech GmbH", country="DE", vat_number="DE136695976")
    bought(customer, plan, anchor=utc(2030, 5, 2, 9))
    bill_run_execute(run_date=date(2030, 5, 2))
    _set_vat_number(customer, "DE811569869")
    invoice = Invoice.objects.get()

    credit_note = invoice_refund(invoice=invoice, actor=sysops, reason="Bought by mistake")
    credit_note = credit_note_pdf_ensure(credit_note=credit_note)

    text = pdf_text(credit_note.pdf_path)
    assert "VAT number DE136695976" in text
    assert "DE811569869" not in text


def test_storing_the_same_pdf_twice_keeps_one_file():
    first = documents.pdf_store(folder="invoices/2031", stem="INV-2031-000001", content=b"%PDF-1")
    again = documents.pdf_store(folder="invoices/2031", stem="INV-2031-000001", content=b"%PDF-1")

    assert again.path == first.path
    assert default_storage.listdir("invoices/2031")[1] == [PurePosixPath(first.path).name]


def test_a_copy_cut_short_is_not_taken_for_the_document():
    whole = documents.pdf_store(folder="invoices/2032", stem="INV-2032-000001", content=b"%PDF-1")
    Path(default_storage.path(whole.path)).write_bytes(b"%PD")  # a worker stopped writing it

    stored = documents.pdf_store(folder="invoices/2032", stem="INV-2032-000001", content=b"%PDF-1")

    with default_storage.open(stored.path, "rb") as handle:
        assert handle.read() == b"%PDF-1"


def test_a_paid_pdf_rendered_again_after_its_path_was_lost_is_not_rendered_for_ever(invoice):
    """A worker stopped between storing the paid PDF and recording it: the next render finds the
    same document under the same name, and once recorded it counts as the paid version."""
    invoice_follow_up(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    recorded = invoice.pdf_path
    Invoice.objects.filter(pk=invoice.pk).update(pdf_path="", pdf_sha256="")
    invoice.refresh_from_db()

    again = invoice_pdf_ensure(invoice=invoice)

    assert not documents.invoice_pdf_outdated(again)
    assert invoice_pdf_ensure(invoice=again).pdf_path == again.pdf_path
    folder = PurePosixPath(recorded).parent
    paid = [name for name in default_storage.listdir(str(folder))[1] if "-paid" in name]
    assert len(paid) <= 2, paid  # the recorded file and at most one new render, never a stream


def test_a_paid_pdf_under_a_name_the_storage_suffixed_counts_as_paid(invoice):
    invoice_follow_up(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    path = PurePosixPath(invoice.pdf_path)
    stem, digest, _ = path.name.split(".")
    invoice.pdf_path = str(path.with_name(f"{stem}_a1B2c3D.{digest}.pdf"))

    assert not documents.invoice_pdf_outdated(invoice)
