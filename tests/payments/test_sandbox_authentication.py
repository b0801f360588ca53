"""Strong Customer Authentication in the sandbox, as Stripe documents its test cards: 3184 asks
on every charge, 3155 at setup (its charges then go through), 3220 at setup and on every charge.
A charge that asks is requires_action, open for the customer's confirmation, never reconciled."""

import pytest
from django.utils import timezone

from onboarding.audit.models import AuditEntry
from onboarding.core.errors import DomainError
from onboarding.core.money import Money
from onboarding.payments.authentication import card_setup_confirm, payment_action_complete
from onboarding.payments.charges import payment_collect
from onboarding.payments.gateways.base import (
    CardDetails,
    ChargeStatus,
    GatewayError,
    SetupActionRequired,
)
from onboarding.payments.gateways.sandbox import SandboxGateway
from onboarding.payments.methods import CardNeedsConfirmation
from onboarding.payments.models import PaymentMethod, PaymentStatus, SandboxCard
from onboarding.payments.reconcile import payment_reconcile_unknown
from tests.payments.helpers import card_on_file

pytestmark = pytest.mark.django_db

EVERY_CHARGE = "4000002760003184"
AT_SETUP = "4000002500003155"
THREE_DS_2 = "4000000000003220"


def _details(number: str) -> CardDetails:
    return CardDetails(number=number, exp_month=12, exp_year=timezone.now().year + 2, cvc="123")


def _charge(gateway: SandboxGateway, token: str, key: str = "k1"):
    return gateway.charge(
        token=token, amount=Money(1000, "EUR"), idempotency_key=key, description="test"
    )


def test_3184_goes_on_file_and_every_charge_asks_for_authentication():
    gateway = SandboxGateway()
    token = gateway.tokenize_card(card=_details(EVERY_CHARGE), customer_reference="C1").token
    first, second = _charge(gateway, token, "k1"), _charge(gateway, token, "k2")
    assert first.status == second.status == ChargeStatus.REQUIRES_ACTION
    assert first.code == "authentication_required"
    assert first.gateway_charge_id.startswith("ch_sbx_")  # the confirmation step's reference


def test_a_confirmed_charge_succeeds_and_the_lookup_agrees():
    gateway = SandboxGateway()
    token = gateway.tokenize_card(card=_details(EVERY_CHARGE), customer_reference="C1").token
    waiting = _charge(gateway, token)
    assert gateway.action_complete(reference=waiting.gateway_charge_id, approve=False).status == (
        ChargeStatus.REQUIRES_ACTION
    )
    done = gateway.action_complete(reference=waiting.gateway_charge_id, approve=True)
    assert done.status == ChargeStatus.SUCCEEDED
    assert gateway.lookup_charge(idempotency_key="k1").status == ChargeStatus.SUCCEEDED


def test_3155_needs_confirmation_at_setup_then_its_charges_go_through():
    gateway = SandboxGateway()
    with pytest.raises(SetupActionRequired) as pending:
        gateway.tokenize_card(card=_details(AT_SETUP), customer_reference="C1")
    reference = pending.value.reference
    with pytest.raises(GatewayError):  # not usable before it is confirmed
        gateway.attach_token(token=reference, customer_reference="C1")
    gateway.setup_action_complete(reference=reference, customer_reference="C1", approve=True)
    token = gateway.attach_token(token=reference, customer_reference="C1")
    assert (token.last4, _charge(gateway, token.token).status) == ("3155", ChargeStatus.SUCCEEDED)


def test_a_3155_never_set_up_with_authentication_asks_on_its_charges():
    gateway = SandboxGateway()
    with pytest.raises(SetupActionRequired) as pending:
        gateway.tokenize_card(card=_details(AT_SETUP), customer_reference="C1")
    assert _charge(gateway, pending.value.reference).status == ChargeStatus.REQUIRES_ACTION


def test_3220_asks_at_setup_and_on_every_charge():
    gateway = SandboxGateway()
    with pytest.raises(SetupActionRequired) as pending:
        gateway.tokenize_card(card=_details(THREE_DS_2), customer_reference="C1")
    reference = pending.value.reference
    gateway.setup_action_complete(reference=reference, customer_reference="C1", approve=True)
    token = gateway.attach_token(token=reference, customer_reference="C1").token
    assert _charge(gateway, token).status == ChargeStatus.REQUIRES_ACTION


def test_a_setup_confirmation_for_another_customer_is_refused():
    gateway = SandboxGateway()
    with pytest.raises(SetupActionRequired) as pending:
        gateway.tokenize_card(card=_details(AT_SETUP), customer_reference="C1")
    with pytest.raises(GatewayError):
        gateway.setup_action_complete(
            reference=pending.value.reference, customer_reference="C2", approve=True
        )


def test_a_charge_needing_authentication_waits_open_and_the_reconciler_leaves_it(customer):
    card_on_file(customer.customer, EVERY_CHARGE)
    attempt = payment_collect(
        customer=customer.customer,
        amount=Money(1000, "EUR"),
        idempotency_key="sca-1",
        description="test",
        reference="",
    )
    assert (attempt.status, attempt.next_reconcile_at) == (PaymentStatus.REQUIRES_ACTION, None)
    assert attempt.message == "Your bank asks you to confirm this payment."
    assert payment_reconcile_unknown() == 0
    confirmed, answered = payment_action_complete(attempt=attempt, actor=customer, approve=True)
    assert (confirmed.status, answered) == (PaymentStatus.SUCCEEDED, True)
    assert AuditEntry.objects.filter(action="payment.action_confirmed").count() == 1


def test_a_second_confirmation_racing_the_first_is_no_new_answer(customer):
    """Two tabs (or a double click) confirm the same waiting attempt: both read it waiting, the
    first settles it, the second finds it settled and records nothing."""
    card_on_file(customer.customer, EVERY_CHARGE)
    attempt = payment_collect(
        customer=customer.customer,
        amount=Money(1000, "EUR"),
        idempotency_key="sca-twice",
        description="test",
        reference="",
    )
    first = payment_action_complete(attempt=attempt, actor=customer, approve=True)
    second = payment_action_complete(attempt=attempt, actor=customer, approve=True)
    assert first[1] is True and second == (first[0], False)
    assert second[0].status == PaymentStatus.SUCCEEDED
    assert AuditEntry.objects.filter(action="payment.action_confirmed").count() == 1


def test_each_cancelled_confirmation_is_an_answer(customer):
    card_on_file(customer.customer, EVERY_CHARGE)
    attempt = payment_collect(
        customer=customer.customer,
        amount=Money(1000, "EUR"),
        idempotency_key="sca-cancel",
        description="test",
        reference="",
    )
    for _ in range(2):
        waiting, answered = payment_action_complete(attempt=attempt, actor=customer, approve=False)
        assert (waiting.status, answered) == (PaymentStatus.REQUIRES_ACTION, True)
    assert AuditEntry.objects.filter(action="payment.action_not_confirmed").count() == 2


def test_a_card_needing_confirmation_is_on_file_only_once_confirmed(customer):
    with pytest.raises(CardNeedsConfirmation) as pending:
        card_on_file(customer.customer, AT_SETUP)
    assert not PaymentMethod.objects.exists()
    assert AuditEntry.objects.filter(action="payment_method.setup_action_required").exists()
    with pytest.raises(DomainError):
        card_setup_confirm(
            customer=customer.customer,
            actor=customer,
            reference=pending.value.reference,
            approve=False,
        )
    assert not PaymentMethod.objects.exists()
    assert AuditEntry.objects.filter(action="payment_method.setup_not_confirmed").exists()


def test_the_card_page_sends_a_3155_through_the_confirmation_step(client, customer):
    client.force_login(customer)
    year = timezone.now().year + 2
    answer = client.post(
        "/account/card/",
        {"number": AT_SETUP, "exp_month": 12, "exp_year": year, "cvc": "123"},
    )
    assert answer.status_code == 302 and answer["Location"] == "/account/card/confirm/"
    page = client.get("/account/card/confirm/")
    assert b"Confirm card" in page.content and AT_SETUP.encode() not in page.content
    client.post("/account/card/confirm/", {"decision": "confirm"})
    method = PaymentMethod.objects.get(customer=customer.customer)
    assert method.last4 == "3155"
    assert SandboxCard.objects.get(token=method.token).behaviour == "ok"
