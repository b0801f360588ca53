"""Customer authentication (Strong Customer Authentication, SCA): the customer confirms with their
bank a charge, or a card being put on file, that the bank would not accept without them.

A charge the bank wants confirmed is recorded REQUIRES_ACTION (open, never re-sent, never asked
about by the reconciler); the confirmation page (billing) shows the gateway's confirmation step
(`payment_action_start`: Stripe's client secret for Stripe.js, asked for when the page is shown
and never stored) and then `payment_action_complete` reads the answer and settles the attempt
through the reconciler's settle, publishing `payment.settled` as every settle does.

A card whose setup needs confirmation (the sandbox's 3155 and 3220; Stripe's own fields confirm
setups in the browser) is not on file until `card_setup_confirm` says the customer confirmed it.
"""

from django.db import transaction
from django.utils.translation import gettext, gettext_lazy

from onboarding.accounts.models import Customer, User
from onboarding.alerts.failures import FailureNotice, failure_reported
from onboarding.audit.models import Outcome
from onboarding.audit.services import audit_record
from onboarding.core.errors import Conflict, DomainError
from onboarding.payments.charges import payment_attempt_settle
from onboarding.payments.gateways import get_gateway
from onboarding.payments.gateways.base import ActionStart, GatewayError, GatewayTimeout
from onboarding.payments.methods import payment_method_add
from onboarding.payments.models import PAYMENT_OPEN, PaymentAttempt, PaymentMethod, PaymentStatus
from onboarding.payments.reconcile import payment_settled_publish

BANK_UNREACHABLE = gettext_lazy(
    "Your bank could not be reached to confirm the payment. Nothing was charged; try again in "
    "a moment."
)
ACTION_FAILED = FailureNotice(
    "payment_action_failed",
    gettext_lazy(
        "The payment could not be confirmed because of a problem on our side. Nothing was charged "
        "twice, and our team has been told."
    ),
)
SETUP_FAILED = FailureNotice(
    "card_setup_confirm_failed",
    gettext_lazy(
        "Your card could not be confirmed because of a problem on our side. Nothing was charged, "
        "and our team has been told."
    ),
)


def _waiting(attempt: PaymentAttempt) -> None:
    if attempt.status != PaymentStatus.REQUIRES_ACTION or not attempt.gateway_charge_id:
        raise Conflict(gettext("This payment is not waiting for your confirmation."))


def payment_action_start(*, attempt: PaymentAttempt) -> ActionStart:
    """What the confirmation page needs for an attempt waiting for the customer. Raises
    Conflict when it is not waiting, DomainError when the gateway cannot be reached."""
    _waiting(attempt)
    try:
        return get_gateway().action_start(reference=attempt.gateway_charge_id)
    except GatewayTimeout as exc:
        raise DomainError(str(BANK_UNREACHABLE), code="timeout") from exc

    except GatewayError as exc:
        raise DomainError(exc.message, code=exc.code) from exc


@failure_reported(ACTION_FAILED, target="attempt")
def payment_action_complete(
    *, attempt: PaymentAttempt, actor: User, approve: bool
) -> tuple[PaymentAttempt, bool]:
    """The customer went through the confirmation step (`approve`: they confirmed it in the
    sandbox's stand-in for the bank; Stripe reads what the browser did): settle the attempt to
    the gateway's answer, audited, publishing `payment.settled` when it moved. Still waiting
    (cancelled, or refused by the bank's check) leaves it REQUIRES_ACTION. Returns (attempt,
    answered): not answered when a concurrent confirmation (a second tab, a double click) had
    already settled it, which records nothing again. Call it outside any transaction: the
    gateway is asked before anything is written."""
    _waiting(attempt)
    try:
        result = get_gateway().action_complete(reference=attempt.gateway_charge_id, approve=approve)
    except GatewayTimeout as exc:
        raise DomainError(str(BANK_UNREACHABLE), code="timeout") from exc

    except GatewayError as exc:
        raise DomainError(exc.message, code=exc.code) from exc
    with transaction.atomic():
        settled, changed = payment_attempt_settle(attempt_id=attempt.pk, result=result)
        if not changed and settled.status != PaymentStatus.REQUIRES_ACTION:
            return settled, False
        if changed and settled.status not in PAYMENT_OPEN:
            payment_settled_publish(attempt=settled)
        confirmed = settled.status == PaymentStatus.SUCCEEDED
        audit_record(
            action="payment.action_confirmed" if confirmed else "payment.action_not_confirmed",
            actor=actor,
            target=settled,
            customer_id=settled.customer_id,
            outcome=Outcome.SUCCESS if confirmed else Outcome.FAILURE,
            message=(
                f"{settled.amount} for {settled.invoice_reference or settled.description}: "
                f"{settled.status}" + ("" if approve else " (the customer cancelled)")
            ),
        )
    return settled, True


@failure_reported(SETUP_FAILED, target="customer")
def card_setup_confirm(
    *,
    customer: Customer,
    actor: User,
    reference: str,
    approve: bool,
    identity_confirmed: bool = False,
) -> PaymentMethod:
    """The customer answered their bank's confirmation of a card setup: confirmed, the card goes
    on file (payment_method_add, audited as any card); refused, it is not saved (CardRefused,
    audited and reported as any refused card)."""
    try:
        get_gateway().setup_action_complete(
            reference=reference, customer_reference=customer.reference, approve=approve
        )
    except GatewayError as exc:
        # payment_method_add records and reports a refusal the same way for every card.
        with transaction.atomic():
            audit_record(
                action="payment_method.setup_not_confirmed",
                actor=actor,
                target=customer,
                customer_id=customer.pk,
                outcome=Outcome.FAILURE,
                message=f"{exc.code}: {exc.message}",
            )
        raise DomainError(exc.message, field="number", code=exc.code) from exc
    return payment_method_add(
        customer=customer,
        actor=actor,
        client_token=reference,
        identity_confirmed=identity_confirmed,
    )
