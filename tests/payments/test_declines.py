"""Hard and soft declines by Stripe's decline codes, and the sandbox's test cards that meet them
on a charge of a card already on file."""

import pytest
from django.utils import timezone

from onboarding.core.money import Money
from onboarding.payments.charges import payment_collect
from onboarding.payments.declines import (
    HARD_DECLINE_CODES,
    SOFT_DECLINE_CODES,
    DeclineKind,
    decline_code_of,
    decline_kind,
)
from onboarding.payments.models import PaymentMethod, PaymentStatus, SandboxCard
from onboarding.payments.sandbox_faults import sandbox_fault_arm
from tests.factories import complete_profile
from tests.payments.helpers import card_on_file


@pytest.mark.parametrize("code", ["lost_card", "stolen_card", "expired_card", "pickup_card"])
def test_a_lost_stolen_or_expired_card_is_a_hard_decline(code):
    assert decline_kind(code) == DeclineKind.HARD


@pytest.mark.parametrize(
    "code", ["insufficient_funds", "processing_error", "try_again_later", "do_not_honor"]
)
def test_no_funds_a_processing_error_or_try_later_is_a_soft_decline(code):
    assert decline_kind(code) == DeclineKind.SOFT


@pytest.mark.parametrize("code", ["", "a_code_stripe_adds_next_year", "not_received"])
def test_an_unknown_code_is_soft_so_it_is_retried(code):
    assert decline_kind(code) == DeclineKind.SOFT


def test_no_code_is_both_hard_and_soft():
    assert not set(HARD_DECLINE_CODES) & set(SOFT_DECLINE_CODES)


def test_do_not_honor_with_the_advice_never_to_retry_is_hard():
    code = decline_code_of("do_not_honor", "do_not_try_again")
    assert code == "do_not_honor/do_not_try_again"
    assert decline_kind(code) == DeclineKind.HARD
    assert decline_code_of("do_not_honor", "try_again_later") == "do_not_honor"
    assert decline_code_of("stolen_card", "do_not_try_again") == "stolen_card"


# --- The sandbox's cards ----------------------------------------------------------------------


def _charge(customer, key: str):
    return payment_collect(
        customer=customer,
        amount=Money(1500, "EUR"),
        idempotency_key=key,
        description="test",
        reference="",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("4000000000009987", "lost_card"),
        ("4000000000009979", "stolen_card"),
        ("4000000000000341", "card_declined"),
        ("4000000000009995", "insufficient_funds"),
    ],
)
def test_the_sandbox_keeps_the_card_on_file_and_declines_its_charges(customer, number, code):
    profile = complete_profile(customer.customer)
    method = card_on_file(profile, number)
    attempt = _charge(profile, f"t:{number}")
    assert method.last4 == number[-4:]
    assert (attempt.status, attempt.code) == (PaymentStatus.DECLINED, code)
    assert attempt.message  # the customer is told why


@pytest.mark.django_db
def test_a_card_on_file_whose_expiry_has_passed_is_declined_as_expired(customer):
    profile = complete_profile(customer.customer)
    method = card_on_file(profile)
    # The card was good when saved; its expiry has passed since.
    past = timezone.now().year - 1
    SandboxCard.objects.filter(token=method.token).update(exp_year=past)
    PaymentMethod.objects.filter(pk=method.pk).update(exp_year=past)
    attempt = _charge(profile, "t:expired")
    assert (attempt.status, attempt.code) == (PaymentStatus.DECLINED, "expired_card")


@pytest.mark.django_db
def test_an_armed_decline_with_stripes_advice_code_reaches_the_attempt(customer):
    profile = complete_profile(customer.customer)
    card_on_file(profile)
    sandbox_fault_arm(operation="charge", kind="do_not_honor/do_not_try_again")
    attempt = _charge(profile, "t:closed")
    assert (attempt.status, attempt.code) == (
        PaymentStatus.DECLINED,
        "do_not_honor/do_not_try_again",
    )
    assert decline_kind(attempt.code) == DeclineKind.HARD
