import pytest

from onboarding.core.money import Money
from onboarding.payments.declines import DeclineKind, decline_kind
from onboarding.payments.gateways.base import (
    CardDetails,
    ChargeStatus,
    GatewayError,
    GatewayTimeout,
)
from onboarding.payments.gateways.stripe import StripeGateway
from tests.payments.stripe_replay import replaying_client


def gateway_replaying(exchange_file: str):
    client, http = replaying_client(exchange_file)
    return StripeGateway(client=client), http


def test_setup_creates_a_customer_and_a_setup_intent_then_attach_keeps_brand_last4_expiry():
    gateway, http = gateway_replaying("setup_and_attach.json")
    start = gateway.setup_start(customer_reference="cust-7", email="ana@example.com")
    assert start.client_secret == "seti_1_secret_abc"
    token = gateway.attach_token(token="seti_1", customer_reference="cust-7")
    assert (token.token, token.brand, token.last4, token.exp_month, token.exp_year) == (
        "cus_Q1/pm_1",
        "visa",
        "4242",
        12,
        2030,
    )
    assert http.all_used()


def test_a_declined_setup_is_refused_with_stripes_reason():
    gateway, _ = gateway_replaying("setup_declined.json")
    with pytest.raises(GatewayError) as refused:
        gateway.attach_token(token="seti_2", customer_reference="cust-7")
    assert refused.value.code == "card_declined"
    assert refused.value.field == "number"


def test_card_numbers_are_never_sent_to_our_server_in_stripe_mode():
    gateway, http = gateway_replaying("setup_declined.json")
    card = CardDetails(number="4242424242424242", exp_month=12, exp_year=2030, cvc="123")
    with pytest.raises(GatewayError) as refused:
        gateway.tokenize_card(card=card, customer_reference="cust-7")
    assert refused.value.code == "client_side_only"
    assert http.sent == []


def test_an_off_session_charge_carries_the_idempotency_key_as_header_and_metadata():
    gateway, http = gateway_replaying("charge_succeeds.json")
    result = gateway.charge(
        token="cus_Q1/pm_1",
        amount=Money(11900, "EUR"),
        idempotency_key="inv-12-attempt-1",
        description="INV-2026-000012",
    )
    assert result.status == ChargeStatus.SUCCEEDED
    assert result.gateway_charge_id == "pi_1"
    assert http.all_used()


def test_a_card_error_is_a_decline_with_the_decline_code():
    gateway, _ = gateway_replaying("charge_insufficient_funds.json")
    result = gateway.charge(
        token="cus_Q1/pm_1",
        amount=Money(11900, "EUR"),
        idempotency_key="inv-13-attempt-1",
        description="INV-2026-000013",
    )
    assert result.status == ChargeStatus.DECLINED
    assert result.code == "insufficient_funds"


def test_a_lost_answer_is_unknown_and_lookup_finds_the_charge_by_its_key():
    gateway, http = gateway_replaying("charge_timeout_then_lookup.json")
    with pytest.raises(GatewayTimeout):
        gateway.charge(
            token="cus_Q1/pm_1",
            amount=Money(11900, "EUR"),
            idempotency_key="inv-14-attempt-1",
            description="INV-2026-000014",
        )
    found = gateway.lookup_charge(idempotency_key="inv-14-attempt-1")
    assert found is not None
    assert found.status == ChargeStatus.SUCCEEDED
    assert found.gateway_charge_id == "pi_3"
    assert http.all_used()


def test_a_partial_refund_goes_through_with_its_own_idempotency_key():
    gateway, http = gateway_replaying("refund.json")
    refund = gateway.refund(
        gateway_charge_id="pi_1", amount=Money(5000, "EUR"), idempotency_key="refund-5"
    )
    assert refund.gateway_refund_id == "re_1"
    assert refund.amount == Money(5000, "EUR")
    assert http.all_used()


def test_do_not_honor_with_the_advice_never_to_retry_is_recorded_as_a_hard_decline():
    gateway, http = gateway_replaying("charge_card_closed.json")
    result = gateway.charge(
        token="cus_Q1/pm_1",
        amount=Money(11900, "EUR"),
        idempotency_key="inv-14-attempt-1",
        description="INV-2026-000014",
    )
    assert (result.status, result.code) == (ChargeStatus.DECLINED, "do_not_honor/do_not_try_again")
    assert decline_kind(result.code) == DeclineKind.HARD
    assert http.all_used()
