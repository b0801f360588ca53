import pytest
from django.db import transaction

from onboarding.audit.models import AuditEntry
from onboarding.core.errors import Conflict, DomainError
from onboarding.core.money import Money
from onboarding.payments.charges import payment_collect
from onboarding.payments.models import PaymentAttempt, PaymentStatus, SandboxCharge
from onboarding.payments.sandbox_faults import sandbox_fault_arm
from tests.payments.helpers import GOOD_CARD, INSUFFICIENT_FUNDS_CARD, card_on_file

pytestmark = pytest.mark.django_db
EUR_99 = Money(9900, "EUR")


def collect(customer, key: str = "inv-1-try-1", amount: Money = EUR_99) -> PaymentAttempt:
    return payment_collect(
        customer=customer,
        amount=amount,
        idempotency_key=key,
        description="Invoice INV-2026-000001",
        reference="INV-2026-000001",
    )


@pytest.fixture
def payer(customer):
    card_on_file(customer.customer)
    return customer.customer


def test_a_good_card_is_charged_and_the_attempt_succeeds(payer):
    attempt = collect(payer)
    assert attempt.status == PaymentStatus.SUCCEEDED
    assert attempt.gateway_charge_id.startswith("ch_sbx_")
    assert attempt.settled_at is not None and attempt.next_reconcile_at is None
    assert attempt.invoice_reference == "INV-2026-000001"
    charge = SandboxCharge.objects.get(idempotency_key="inv-1-try-1")
    assert (charge.amount_minor, charge.currency) == (9900, "EUR")


def test_a_success_is_audited(payer):
    attempt = collect(payer)
    entry = AuditEntry.objects.get(action="payment.succeeded")
    assert entry.object_id == str(attempt.pk)
    assert entry.customer_id == payer.pk


@pytest.mark.parametrize(
    ("kind", "status", "words"),
    [
        ("card_declined", PaymentStatus.DECLINED, "declined"),
        ("insufficient_funds", PaymentStatus.DECLINED, "insufficient funds"),
        ("processing_error", PaymentStatus.FAILED, "processing error"),
    ],
)
def test_a_refused_charge_returns_the_attempt_with_its_code_and_a_readable_message(
    payer, kind, status, words
):
    sandbox_fault_arm(operation="charge", kind=kind)
    attempt = collect(payer)
    assert (attempt.status, attempt.code) == (status, kind)
    assert words in attempt.message.lower()
    assert AuditEntry.objects.filter(action=f"payment.{status}", outcome="failure").exists()


def test_a_card_with_insufficient_funds_is_declined_with_that_code(customer):
    card_on_file(customer.customer, INSUFFICIENT_FUNDS_CARD)
    attempt = collect(customer.customer)
    assert (attempt.status, attempt.code) == (PaymentStatus.DECLINED, "insufficient_funds")


def test_a_timeout_leaves_the_outcome_unknown_and_due_for_the_reconciler(payer):
    sandbox_fault_arm(operation="charge", kind="timeout")
    attempt = collect(payer)
    assert attempt.status == PaymentStatus.UNKNOWN
    assert attempt.next_reconcile_at is not None and attempt.settled_at is None
    assert "not be charged twice" in attempt.message
    assert AuditEntry.objects.filter(action="payment.unknown").exists()


def test_the_same_key_twice_charges_once_and_returns_the_first_attempt(payer):
    first = collect(payer)
    second = collect(payer)
    assert second.pk == first.pk
    assert SandboxCharge.objects.count() == 1
    assert PaymentAttempt.objects.count() == 1


def test_the_same_key_after_a_timeout_is_not_sent_again(payer):
    sandbox_fault_arm(operation="charge", kind="timeout")
    first = collect(payer)
    second = collect(payer)
    assert second.pk == first.pk and second.status == PaymentStatus.UNKNOWN
    assert not SandboxCharge.objects.exists()


def test_a_pending_attempt_left_by_a_crash_becomes_unknown_not_charged_again(payer, settings):
    settings.PAYMENT_PENDING_STALE_SECONDS = 0
    crashed = PaymentAttempt.objects.create(
        customer=payer,
        idempotency_key="inv-1-try-1",
        amount_minor=9900,
        currency="EUR",
        gateway="sandbox",
    )
    again = collect(payer)
    assert again.pk == crashed.pk
    assert again.status == PaymentStatus.UNKNOWN
    assert not SandboxCharge.objects.exists()


def test_a_key_reused_for_another_amount_is_refused(payer):
    collect(payer)
    with pytest.raises(Conflict):
        collect(payer, amount=Money(100, "EUR"))


def test_no_card_on_file_is_a_domain_error_and_records_nothing(customer):
    with pytest.raises(DomainError) as refused:
        collect(customer.customer)
    assert refused.value.code == "no_card"
    assert not PaymentAttempt.objects.exists()


def test_the_card_number_is_in_no_attempt_row(payer):
    sandbox_fault_arm(operation="charge", kind="card_declined")
    collect(payer, key="a")
    collect(payer, key="b")
    token = payer.payment_methods.get().token
    rows = list(PaymentAttempt.objects.order_by("id").values())
    assert [row["status"] for row in rows] == [PaymentStatus.DECLINED, PaymentStatus.SUCCEEDED]
    for row in rows:
        text = str(row)
        assert GOOD_CARD not in text
        assert token not in text


def test_called_inside_a_transaction_it_refuses_before_charging(payer):
    with pytest.raises(RuntimeError), transaction.atomic():
        collect(payer)
    assert not SandboxCharge.objects.exists()
