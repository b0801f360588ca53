"""The invoice's state machine and the rule that a finalized invoice never changes."""

import pytest

from onboarding.billing.billrun import subscription_bill_due
from onboarding.billing.models import (
    INVOICE_MOVES,
    ImmutableInvoice,
    Invoice,
    InvoiceStatus,
)
from onboarding.core.transitions import IllegalTransition, move_allowed
from tests.billing.conftest import buy, ready_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(plan, customer) -> Invoice:
    subscription = buy(ready_customer(customer), plan)
    [invoice_id] = subscription_bill_due(subscription_id=subscription.pk)
    return Invoice.objects.get(pk=invoice_id)


def test_every_state_is_in_the_table_and_paid_and_void_are_final():
    assert set(INVOICE_MOVES) == set(InvoiceStatus.values)
    assert INVOICE_MOVES[InvoiceStatus.PAID] == frozenset()
    assert INVOICE_MOVES[InvoiceStatus.VOID] == frozenset()


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("draft", "open", True),
        ("open", "paid", True),
        ("open", "uncollectible", True),
        ("uncollectible", "paid", True),
        ("paid", "open", False),
        ("void", "open", False),
        ("paid", "void", False),
        ("draft", "paid", False),
    ],
)
def test_moves_are_allowed_only_as_the_table_says(current, target, allowed):
    assert move_allowed(INVOICE_MOVES, current, target) is allowed


def test_an_illegal_move_is_refused_with_a_conflict(invoice):
    assert invoice.status == InvoiceStatus.PAID
    with pytest.raises(IllegalTransition, match="An invoice that is paid cannot become open"):
        invoice.move_to(InvoiceStatus.OPEN)


def test_a_finalized_invoice_refuses_a_change_of_its_amounts(invoice):
    invoice.total_minor += 100
    with pytest.raises(ImmutableInvoice):
        invoice.save(update_fields=["total_minor"])
    with pytest.raises(ImmutableInvoice):
        invoice.save()
    invoice.refresh_from_db()
    assert invoice.total_minor == 11880


def test_a_finalized_invoice_still_records_its_payment_progress(invoice):
    invoice.followup_due = True
    invoice.save(update_fields=["followup_due"])
    assert Invoice.objects.get(pk=invoice.pk).followup_due is True
