"""The bill run: every subscription due on a day is invoiced once per period and charged."""

import re
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from onboarding.accounts.services import customer_profile_update
from onboarding.audit.models import AuditEntry
from onboarding.billing.billrun import _issue_batch, bill_run_execute, subscription_bill_due
from onboarding.billing.models import (
    BillRun,
    Invoice,
    InvoiceStatus,
    PaymentState,
    Subscription,
    SubscriptionStatus,
)
from onboarding.billing.periods import end_of_day
from onboarding.payments.models import PaymentAttempt, SandboxCharge
from tests.billing.conftest import bought, buy, invoices_of, ready_customer, utc

pytestmark = pytest.mark.django_db

DAY = date(2030, 3, 15)


@pytest.fixture
def due(plan):
    """A customer whose monthly subscription, bought on 15 February 2030, renews on DAY."""
    subscription = bought(ready_customer(), plan, anchor=utc(2030, 2, 15, 10, 0))
    bill_run_execute(run_date=date(2030, 2, 15))  # the first invoice
    return Subscription.objects.get(pk=subscription.pk)


def test_a_bill_run_invoices_and_charges_each_subscription_due_that_day(plan, due):
    later = bought(ready_customer(), plan, anchor=utc(2030, 2, 16, 10, 0))
    bill_run_execute(run_date=date(2030, 2, 16))

    progress = bill_run_execute(run_date=DAY)

    assert (progress.issued, progress.paid) == (1, 1)
    renewal = invoices_of(due)[-1]
    assert (renewal.period_start, renewal.period_end) == (
        utc(2030, 3, 15, 10),
        utc(2030, 4, 15, 10),
    )
    assert renewal.status == InvoiceStatus.PAID
    assert len(invoices_of(later)) == 1  # due the next day, not on DAY


def test_a_second_bill_run_on_the_same_day_invoices_nobody(due):
    bill_run_execute(run_date=DAY)
    charges = SandboxCharge.objects.count()

    again = bill_run_execute(run_date=DAY)

    assert (again.issued, again.paid) == (0, 0)
    assert len(invoices_of(due)) == 2
    assert SandboxCharge.objects.count() == charges
    assert BillRun.objects.get(run_date=DAY).passes == 2


def test_the_invoice_carries_lines_tax_dates_addressee_and_a_number(due):
    bill_run_execute(run_date=DAY)
    invoice = invoices_of(due)[-1]
    [line] = invoice.lines.all()
    assert (invoice.subtotal_minor, invoice.tax_minor, invoice.total_minor) == (9900, 1980, 11880)
    assert (line.quantity, line.unit_amount_minor, line.amount_minor) == (1, 9900, 9900)
    assert "Business Care, monthly support" in line.description
    assert invoice.number == "INV-2030-000002"
    assert invoice.issue_date == DAY
    assert invoice.due_date == DAY + timedelta(days=14)
    assert invoice.bill_to_name == "Acme Ltd"
    assert invoice.bill_to_lines == ["1 High Street", "Bristol BS1 4DJ", "United Kingdom"]
    assert invoice.is_first is False


def test_each_charge_carries_the_invoice_number_and_attempt_as_its_key(due):
    bill_run_execute(run_date=DAY)
    invoice = invoices_of(due)[-1]
    attempt = PaymentAttempt.objects.get(invoice_reference=invoice.number)
    assert attempt.idempotency_key == f"invoice:{invoice.number}:attempt:1"
    assert invoice.paid_attempt_id == attempt.pk
    assert SandboxCharge.objects.filter(idempotency_key=attempt.idempotency_key).count() == 1


def test_a_subscription_left_behind_is_invoiced_once_for_each_period_it_missed(plan):
    subscription = bought(ready_customer(), plan, anchor=utc(2030, 1, 31, 8, 0))

    bill_run_execute(run_date=date(2030, 4, 30))

    periods = [(i.period_start, i.period_end) for i in invoices_of(subscription)]
    assert periods == [
        (utc(2030, 1, 31, 8), utc(2030, 2, 28, 8)),
        (utc(2030, 2, 28, 8), utc(2030, 3, 31, 8)),
        (utc(2030, 3, 31, 8), utc(2030, 4, 30, 8)),
        (utc(2030, 4, 30, 8), utc(2030, 5, 31, 8)),
    ]
    subscription.refresh_from_db()
    assert subscription.next_invoice_at == utc(2030, 5, 31, 8)


def test_a_cycle_change_takes_effect_at_the_next_period_with_that_cycles_price(due):
    due.pending_cycle = "quarterly"
    due.save(update_fields=["pending_cycle"])

    bill_run_execute(run_date=DAY)

    invoice = invoices_of(due)[-1]
    assert (invoice.period_start, invoice.period_end) == (
        utc(2030, 3, 15, 10),
        utc(2030, 6, 15, 10),
    )
    assert invoice.subtotal_minor == 27900
    due.refresh_from_db()
    assert (due.cycle, due.pending_cycle, due.amount_minor) == ("quarterly", "", 27900)


def test_a_subscription_set_to_end_is_cancelled_at_its_period_end_not_invoiced(due):
    due.cancel_at_period_end = True
    due.save(update_fields=["cancel_at_period_end"])

    progress = bill_run_execute(run_date=DAY)

    assert (progress.issued, progress.cancelled) == (0, 1)
    due.refresh_from_db()
    assert due.status == SubscriptionStatus.CANCELLED
    assert AuditEntry.objects.filter(action="subscription.cancelled", object_id=due.pk).exists()


def test_invoices_are_numbered_without_gaps_in_the_order_they_are_issued(plan):
    for day in range(1, 6):
        bought(ready_customer(), plan, anchor=utc(2030, 1, day, 12, 0))

    bill_run_execute(run_date=date(2030, 1, 5), batch_size=2)

    numbers = list(Invoice.objects.order_by("number_seq").values_list("number", flat=True))
    assert numbers == [f"INV-2030-{n:06d}" for n in range(1, 6)]


def test_every_invoice_and_payment_is_audited_in_the_run(due):
    bill_run_execute(run_date=DAY)
    invoice = invoices_of(due)[-1]
    actions = set(
        AuditEntry.objects.filter(
            object_id=str(invoice.pk), object_type="billing.invoice"
        ).values_list("action", flat=True)
    )
    assert {"invoice.issued", "invoice.paid"} <= actions
    issued = AuditEntry.objects.get(action="invoice.issued", object_id=str(invoice.pk))
    assert issued.customer_id == invoice.customer_id
    assert issued.changes["number"] == invoice.number


def test_invoices_a_dead_run_left_unsent_are_charged_by_the_next_with_the_reserved_key(due):
    # The first half of a batch alone, as a run killed between issuing and charging leaves it.
    _issue_batch(cutoff=end_of_day(DAY), issue_date=DAY, batch_size=10)
    stranded = invoices_of(due)[-1]
    assert stranded.payment_state == PaymentState.PROCESSING

    progress = bill_run_execute(run_date=DAY)

    stranded.refresh_from_db()
    assert (progress.issued, progress.resumed) == (0, 1)
    assert stranded.status == InvoiceStatus.PAID
    assert PaymentAttempt.objects.get(invoice_reference=stranded.number).idempotency_key == (
        f"invoice:{stranded.number}:attempt:1"
    )


def test_the_command_shows_progress_on_stderr_and_a_summary(plan):
    for day in range(1, 4):
        bought(ready_customer(), plan, anchor=utc(2030, 1, day, 12, 0))
    out, err = StringIO(), StringIO()

    call_command(
        "bill_run",
        "--date",
        "2030-01-03",
        "--batch-size",
        "1",
        "--progress-every",
        "1",
        stdout=out,
        stderr=err,
    )

    progress_lines = [line for line in err.getvalue().splitlines() if "invoiced" in line]
    assert [re.search(r"\d+ invoiced", line)[0] for line in progress_lines][:3] == [
        "1 invoiced",
        "2 invoiced",
        "3 invoiced",
    ]
    assert "3 invoiced (356.40 EUR), 3 paid" in out.getvalue()


@pytest.mark.parametrize("bad", ["2030-02-30", "tomorrow", ""])
def test_the_command_refuses_a_day_that_is_not_one(bad):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("bill_run", "--date", bad, stdout=StringIO(), stderr=StringIO())


def _set_vat_number(customer, number: str) -> None:
    customer_profile_update(customer=customer, actor=customer.user, profile={"vat_number": number})


def test_the_bill_run_freezes_the_customers_vat_number_on_the_invoice_it_issues(due):
    _set_vat_number(due.customer, "de 136 695 976")

    bill_run_execute(run_date=DAY)
    _set_vat_number(due.customer, "DE811569869")

    first, renewal = invoices_of(due)
    assert first.bill_to_vat_number == ""  # issued before the customer had one
    assert renewal.bill_to_vat_number == "DE136695976"


def test_an_invoice_issued_for_one_subscription_freezes_the_vat_number_too(plan):
    customer = ready_customer(country="DE", vat_number="DE136695976")
    subscription = buy(customer, plan)

    [invoice_id] = subscription_bill_due(subscription_id=subscription.pk)
    _set_vat_number(customer, "")

    assert Invoice.objects.get(pk=invoice_id).bill_to_vat_number == "DE136695976"
