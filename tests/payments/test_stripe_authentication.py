"""Stripe's answers that mean "the customer must confirm with their bank" read as requires_action
in charge_result_of, the one reading the charge's answer, the reconciler and the webhook share."""

import stripe

from onboarding.payments.gateways.base import ChargeStatus
from onboarding.payments.gateways.stripe import charge_result_of


def _intent(status: str, error: dict | None = None):
    body = {"id": "pi_sca", "object": "payment_intent", "status": status}
    if error is not None:
        body["last_payment_error"] = error
    return stripe.PaymentIntent.construct_from(body, "sk_test_x")


def test_requires_action_waits_for_the_customer_with_the_intent_as_reference():
    result = charge_result_of(_intent("requires_action"))
    assert (result.status, result.gateway_charge_id, result.code) == (
        ChargeStatus.REQUIRES_ACTION,
        "pi_sca",
        "authentication_required",
    )


def test_an_off_session_authentication_refusal_waits_for_the_customer():
    refused = _intent("requires_payment_method", {"code": "authentication_required"})
    assert charge_result_of(refused).status == ChargeStatus.REQUIRES_ACTION


def test_a_failed_bank_check_still_waits_for_the_customer():
    failed = _intent("requires_payment_method", {"code": "payment_intent_authentication_failure"})
    result = charge_result_of(failed)
    assert (result.status, result.code) == (
        ChargeStatus.REQUIRES_ACTION,
        "payment_intent_authentication_failure",
    )


def test_a_real_decline_is_still_a_decline():
    declined = _intent(
        "requires_payment_method", {"code": "card_declined", "decline_code": "insufficient_funds"}
    )
    assert charge_result_of(declined).status == ChargeStatus.DECLINED
