import pytest

from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.core.errors import Conflict, DomainError, Forbidden
from onboarding.core.money import Money
from onboarding.payments.charges import payment_collect
from onboarding.payments.models import PaymentRefund, RefundStatus, SandboxRefund
from onboarding.payments.refunds import RefundFailed, payment_refund
from onboarding.payments.sandbox_faults import sandbox_fault_arm
from tests.payments.helpers import card_on_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(customer):
    card_on_file(customer.customer)
    return payment_collect(
        customer=customer.customer,
        amount=Money(10000, "EUR"),
        idempotency_key="inv-7-try-1",
        description="Invoice INV-2026-000007",
        reference="INV-2026-000007",
    )


def refund(attempt, actor, minor: int, key: str) -> PaymentRefund:
    return payment_refund(
        attempt=attempt, amount=Money(minor, "EUR"), actor=actor, idempotency_key=key
    )


def test_a_partial_refund_goes_through_the_gateway_and_is_audited(paid, manager):
    made = refund(paid, manager, 2500, "refund-1")
    assert made.status == RefundStatus.SUCCEEDED
    assert made.gateway_refund_id.startswith("re_sbx_")
    assert SandboxRefund.objects.get().amount_minor == 2500
    entry = AuditEntry.objects.get(action="payment.refunded")
    assert entry.actor_id == manager.pk and entry.object_id == str(paid.pk)


def test_refunds_may_add_up_to_the_whole_payment(paid, manager):
    refund(paid, manager, 2500, "refund-1")
    rest = refund(paid, manager, 7500, "refund-2")
    assert rest.status == RefundStatus.SUCCEEDED
    assert sum(SandboxRefund.objects.values_list("amount_minor", flat=True)) == 10000


def test_more_than_what_is_left_is_refused_and_nothing_is_paid_out(paid, manager):
    refund(paid, manager, 2500, "refund-1")
    with pytest.raises(DomainError) as refused:
        refund(paid, manager, 7501, "refund-2")
    assert refused.value.code == "refund_too_large"
    assert "75.00 EUR" in refused.value.message
    assert SandboxRefund.objects.count() == 1
    assert not PaymentRefund.objects.filter(idempotency_key="refund-2").exists()


def test_the_same_refund_key_twice_pays_out_once(paid, manager):
    first = refund(paid, manager, 2500, "refund-1")
    again = refund(paid, manager, 2500, "refund-1")
    assert again.pk == first.pk
    assert SandboxRefund.objects.count() == 1


def test_a_refund_key_reused_for_another_amount_is_refused(paid, manager):
    refund(paid, manager, 2500, "refund-1")
    with pytest.raises(Conflict):
        refund(paid, manager, 100, "refund-1")


def test_a_customer_cannot_refund(paid, customer):
    with pytest.raises(Forbidden):
        refund(paid, customer, 100, "refund-1")
    assert not PaymentRefund.objects.exists()


def test_a_declined_payment_cannot_be_refunded(customer, manager):
    card_on_file(customer.customer)
    sandbox_fault_arm(operation="charge", kind="card_declined")
    declined = payment_collect(
        customer=customer.customer,
        amount=Money(10000, "EUR"),
        idempotency_key="k",
        description="d",
        reference="r",
    )
    with pytest.raises(Conflict):
        refund(declined, manager, 100, "refund-1")


def test_a_refund_the_gateway_refuses_alerts_an_admin_and_says_why(paid, manager):
    paid.gateway_charge_id = "ch_sbx_unknown"  # the provider has no such charge
    with pytest.raises(RefundFailed) as failed:
        refund(paid, manager, 100, "refund-1")
    assert "cannot be refunded" in failed.value.message
    assert PaymentRefund.objects.get().status == RefundStatus.FAILED
    assert AdminAlert.objects.filter(reason="refund_failed").exists()
    assert AuditEntry.objects.filter(action="payment.refund_failed", outcome="failure").exists()
