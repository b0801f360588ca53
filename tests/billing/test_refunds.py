"""Refunds by staff: through the gateway, with a numbered credit note and its PDF, audited."""

import io

import pypdf
import pytest
from django.core.files.storage import default_storage

from onboarding.audit.models import AuditEntry
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.followups import credit_note_follow_up
from onboarding.billing.models import CreditNote, Invoice
from onboarding.billing.refunds import net_of_gross
from onboarding.billing.services import invoice_refund
from onboarding.core.errors import Conflict, DomainError, Forbidden
from onboarding.core.money import Money
from onboarding.notifications.models import Notification
from onboarding.payments.models import SandboxRefund
from tests.billing.conftest import DECLINING_CARD, buy, ready_customer, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(plan, customer) -> Invoice:
    buy(ready_customer(customer), plan)
    bill_run_execute(run_date=today())
    return Invoice.objects.get()


def eur(minor: int) -> Money:
    return Money(minor, "EUR")


def test_a_whole_refund_gives_everything_back_with_a_credit_note(paid, sysops):
    note = invoice_refund(invoice=paid, actor=sysops, reason="Bought by mistake")
    assert (note.number, note.status) == (f"CN-{today().year}-000001", "issued")
    assert (note.subtotal_minor, note.tax_minor, note.total_minor) == (9900, 1980, 11880)
    assert SandboxRefund.objects.get().amount_minor == 11880
    paid.refresh_from_db()
    assert paid.credited_minor == paid.total_minor
    assert paid.status == "paid"  # a finalized invoice never changes; the credit note corrects it


def test_partial_refunds_are_numbered_in_turn_and_add_up_to_the_invoice(paid, manager):
    first = invoice_refund(invoice=paid, actor=manager, amount=eur(1000), reason="Outage day")
    rest = invoice_refund(invoice=paid, actor=manager, reason="Cancelled")
    assert [first.number[-6:], rest.number[-6:]] == ["000001", "000002"]
    assert first.subtotal_minor == net_of_gross(1000, 2000) == 833
    assert first.subtotal_minor + rest.subtotal_minor == paid.subtotal_minor
    assert first.tax_minor + rest.tax_minor == paid.tax_minor
    assert sum(SandboxRefund.objects.values_list("amount_minor", flat=True)) == paid.total_minor


def test_more_than_is_left_is_refused_and_nothing_is_paid_out(paid, sysops):
    invoice_refund(invoice=paid, actor=sysops, amount=eur(11000), reason="Most of it")
    with pytest.raises(DomainError, match=r"At most 8\.80 EUR"):
        invoice_refund(invoice=paid, actor=sysops, amount=eur(1000), reason="Too much")
    assert SandboxRefund.objects.count() == 1
    assert CreditNote.objects.count() == 1


def test_a_customer_cannot_refund_even_their_own_invoice(paid):
    with pytest.raises(Forbidden):
        invoice_refund(invoice=paid, actor=paid.customer.user, reason="Please")
    assert not CreditNote.objects.exists()


def test_an_open_invoice_cannot_be_refunded(plan, other_customer, sysops):
    buy(ready_customer(other_customer, card=DECLINING_CARD), plan)
    bill_run_execute(run_date=today())
    with pytest.raises(Conflict, match="Only a paid invoice"):
        invoice_refund(invoice=Invoice.objects.get(), actor=sysops, reason="Goodwill")


def test_the_refund_is_audited_with_who_and_why(paid, sysops):
    note = invoice_refund(invoice=paid, actor=sysops, amount=eur(500), reason="Late response")
    entry = AuditEntry.objects.get(action="credit_note.issued", object_id=str(note.pk))
    assert (entry.actor_email, entry.message) == (sysops.email, "Late response")
    assert entry.changes["invoice"] == paid.number
    assert AuditEntry.objects.filter(action="payment.refunded").count() == 1


def test_the_credit_note_gets_its_pdf_and_the_customer_is_told_with_it(paid, sysops):
    note = invoice_refund(invoice=paid, actor=sysops, amount=eur(500), reason="Late response")
    credit_note_follow_up(credit_note_id=note.pk)
    note.refresh_from_db()
    with default_storage.open(note.pdf_path, "rb") as handle:
        text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(handle.read())).pages)
    assert note.number in text and paid.number in text and "€5.00" in text
    notice = Notification.objects.get(kind="credit_note_issued")
    assert notice.attachments[0]["storage_path"] == note.pdf_path
    assert "email" in notice.channels
    credit_note_follow_up(credit_note_id=note.pk)
    assert Notification.objects.filter(kind="credit_note_issued").count() == 1


@pytest.mark.parametrize(("gross", "net"), [(120, 100), (1, 1), (11880, 9900), (7, 6)])
def test_the_net_part_of_a_gross_amount_is_rounded_half_up(gross, net):
    assert net_of_gross(gross, 2000) == net


def test_the_customers_invoice_page_lists_the_credit_note_in_their_money_format(
    paid, sysops, customer_client
):
    invoice_refund(invoice=paid, actor=sysops, reason="Bought by mistake")
    page = customer_client.get(f"/account/invoices/{paid.pk}/").content.decode()
    notes = page[page.index("Bought by mistake") - 300 : page.index("Bought by mistake")]
    assert "€118.80" in notes and "118.80 EUR" not in notes
