"""Writes for cards on file. The card number is handed to the gateway at once and forgotten.

The gateway call happens before the database transaction: a slow provider never holds a lock,
and a refusal leaves nothing behind but its audit entry, the journey's failed step and (as the
seed asks for every card failure) an admin alert.
"""

from django.db import transaction
from django.utils import timezone

from onboarding.accounts.models import Customer, User
from onboarding.audit.services import audit_record
from onboarding.core.errors import DomainError
from onboarding.core.failures import report_failure
from onboarding.journey.models import Step
from onboarding.journey.services import journey_step_fail
from onboarding.payments.gateways import get_gateway
from onboarding.payments.gateways.base import CardDetails, CardToken, GatewayError, GatewayTimeout
from onboarding.payments.models import PaymentMethod, PaymentMethodStatus
from onboarding.payments.selectors import payment_method_active


class CardRefused(DomainError):
    code = "card_refused"


def _card_failed(*, customer: Customer, actor: User, code: str, message: str) -> None:
    with transaction.atomic():
        audit_record(
            action="payment_method.add_failed",
            actor=actor,
            target=customer,
            customer_id=customer.pk,
            outcome="failure",
            message=f"{code}: {message}",
        )
        journey_step_fail(customer=customer, step=Step.CARD_AND_CYCLE, reason=message)
    report_failure(
        reason="card_refused",
        user_message=f"A card for {customer.reference} was refused ({code})",
        error=GatewayError(code, message),
        target=customer,
        customer_id=customer.pk,
    )


def _tokenize(
    *, customer: Customer, card: CardDetails | None, client_token: str | None
) -> CardToken:
    gateway = get_gateway()
    reference = customer.reference
    if client_token:
        return gateway.attach_token(token=client_token, customer_reference=reference)
    if card is None:
        raise DomainError("Enter your card details.", field="number")
    return gateway.tokenize_card(card=card, customer_reference=reference)


def payment_method_add(
    *,
    customer: Customer,
    actor: User,
    card: CardDetails | None = None,
    client_token: str | None = None,
    password: str | None = None,
) -> PaymentMethod:
    """Put a card on file, replacing the current one (which needs the password again)."""
    replacing = payment_method_active(customer=customer) is not None
    if replacing and not (password and actor.check_password(password)):
        audit_record(
            action="payment_method.replace_refused",
            actor=actor,
            target=customer,
            customer_id=customer.pk,
            outcome="refused",
            message="password not confirmed",
        )
        raise DomainError("Enter your current password to replace the card.", field="password")
    try:
        token = _tokenize(customer=customer, card=card, client_token=client_token)
    except GatewayTimeout as exc:
        _card_failed(customer=customer, actor=actor, code=exc.code, message=exc.message)
        raise CardRefused(
            "The payment provider did not answer. Your card was not saved; try again shortly."
        ) from exc
    except GatewayError as exc:
        _card_failed(customer=customer, actor=actor, code=exc.code, message=exc.message)
        raise CardRefused(exc.message, field=exc.field or "number", code=exc.code) from exc
    return _payment_method_store(customer=customer, actor=actor, token=token)


@transaction.atomic
def _payment_method_store(*, customer: Customer, actor: User, token: CardToken) -> PaymentMethod:
    now = timezone.now()
    previous = (
        PaymentMethod.objects.select_for_update()
        .filter(customer=customer, status=PaymentMethodStatus.ACTIVE)
        .first()
    )
    if previous is not None:
        previous.status, previous.replaced_at = PaymentMethodStatus.REPLACED, now
        previous.save(update_fields=["status", "replaced_at"])
    method = PaymentMethod.objects.create(
        customer=customer,
        gateway=get_gateway().name,
        token=token.token,
        brand=token.brand,
        last4=token.last4,
        exp_month=token.exp_month,
        exp_year=token.exp_year,
    )
    audit_record(
        action="payment_method.replaced" if previous else "payment_method.added",
        actor=actor,
        target=method,
        customer_id=customer.pk,
        changes={
            "card": [str(previous) if previous else None, str(method)],
        },
    )
    return method
