import pytest
from django.utils import timezone

from onboarding.core.money import Money
from onboarding.payments.gateways.base import (
    CardDetails,
    ChargeStatus,
    GatewayError,
    GatewayTimeout,
)
from onboarding.payments.gateways.sandbox import SandboxGateway
from onboarding.payments.models import SandboxCard, SandboxFault

pytestmark = pytest.mark.django_db
NEXT_YEAR = timezone.now().year + 1


def card(number: str, cvc: str = "123", year: int = NEXT_YEAR) -> CardDetails:
    return CardDetails(number=number, exp_month=12, exp_year=year, cvc=cvc)


def tokenize(number: str, **kwargs):
    return SandboxGateway().tokenize_card(card=card(number, **kwargs), customer_reference="c1")


def test_4242_is_tokenized_keeping_only_brand_last4_and_expiry():
    token = tokenize("4242 4242 4242 4242")
    assert token.token.startswith("tok_sbx_")
    assert (token.brand, token.last4, token.exp_month, token.exp_year) == (
        "visa",
        "4242",
        12,
        NEXT_YEAR,
    )
    stored = SandboxCard.objects.get(token=token.token)
    assert "4242424242424242" not in str(stored.__dict__)


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("4000000000000002", "card_declined"),
        ("4000000000000069", "expired_card"),
        ("4000000000000119", "processing_error"),
        ("4242424242424241", "invalid_number"),
        ("4242", "invalid_number"),
    ],
)
def test_refused_cards_say_why_on_the_number_field(number, code):
    with pytest.raises(GatewayError) as refused:
        tokenize(number)
    assert refused.value.code == code
    assert refused.value.field == "number"
    assert not SandboxCard.objects.exists()


def test_a_past_expiry_is_refused_on_the_expiry_field():
    with pytest.raises(GatewayError) as refused:
        tokenize("4242424242424242", year=timezone.now().year - 1)
    assert refused.value.field in {"exp_month", "exp_year"}


def test_amex_needs_a_four_digit_security_code():
    with pytest.raises(GatewayError) as refused:
        tokenize("378282246310005", cvc="123")
    assert refused.value.field == "cvc"


def test_insufficient_funds_card_is_accepted_on_file_but_its_charge_is_declined():
    token = tokenize("4000000000009995")
    result = SandboxGateway().charge(
        token=token.token, amount=Money(1000, "EUR"), idempotency_key="k1", description="t"
    )
    assert result.status == ChargeStatus.DECLINED
    assert result.code == "insufficient_funds"


def test_the_same_idempotency_key_never_charges_twice():
    gateway = SandboxGateway()
    token = tokenize("4242424242424242")
    first = gateway.charge(
        token=token.token, amount=Money(1000, "EUR"), idempotency_key="inv-1-a1", description="t"
    )
    second = gateway.charge(
        token=token.token, amount=Money(1000, "EUR"), idempotency_key="inv-1-a1", description="t"
    )
    assert first.status == ChargeStatus.SUCCEEDED
    assert second.gateway_charge_id == first.gateway_charge_id


def test_an_armed_timeout_after_charge_leaves_a_charge_that_lookup_finds():
    gateway = SandboxGateway()
    token = tokenize("4242424242424242")
    SandboxFault.objects.create(operation="charge", kind="timeout_after_charge")
    with pytest.raises(GatewayTimeout):
        gateway.charge(
            token=token.token, amount=Money(500, "EUR"), idempotency_key="k9", description="t"
        )
    found = gateway.lookup_charge(idempotency_key="k9")
    assert found is not None and found.status == ChargeStatus.SUCCEEDED
    assert gateway.lookup_charge(idempotency_key="never-sent") is None


def test_refunds_cannot_exceed_the_charge():
    gateway = SandboxGateway()
    token = tokenize("4242424242424242")
    charge = gateway.charge(
        token=token.token, amount=Money(1000, "EUR"), idempotency_key="k", description="t"
    )
    gateway.refund(
        gateway_charge_id=charge.gateway_charge_id, amount=Money(600, "EUR"), idempotency_key="r1"
    )
    with pytest.raises(GatewayError):
        gateway.refund(
            gateway_charge_id=charge.gateway_charge_id,
            amount=Money(600, "EUR"),
            idempotency_key="r2",
        )


def test_card_details_never_show_the_number_in_repr():
    assert "4242" not in repr(card("4242424242424242"))
