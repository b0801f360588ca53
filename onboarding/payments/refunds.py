"""Refunds: give back all or part of a succeeded payment through the gateway.

A refund commits as PENDING before the gateway is called, so it counts against what is left of
the payment while it is in flight; its idempotency key is unique, so the same key never pays
out twice, and a refund whose answer is lost is sent again with the same key.

A refund made outside the product (in Stripe's dashboard) reaches us by Stripe's webhook: it is
recorded as a succeeded refund and published as PAYMENT_REFUNDED_OUTSIDE_TOPIC, so billing
issues its credit note without payments knowing billing.
"""

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from onboarding.accounts.models import User
from onboarding.alerts.services import admin_alert_raise
from onboarding.core import clock
from onboarding.core.errors import Conflict, DomainError, Forbidden
from onboarding.core.money import Money
from onboarding.core.roles import STAFF_ROLES
from onboarding.notifications.services import outbox_publish
from onboarding.payments.events import refund_recorded_outside, refund_settled
from onboarding.payments.gateways import get_gateway
from onboarding.payments.gateways.base import GatewayError, GatewayTimeout
from onboarding.payments.models import (
    PaymentAttempt,
    PaymentRefund,
    PaymentStatus,
    RefundStatus,
)
from onboarding.payments.selectors import payment_refunded

# Published with a refund made outside the product; payload: refund_id, attempt_id,
# invoice_reference, amount_minor, currency (docs/events.md).
PAYMENT_REFUNDED_OUTSIDE_TOPIC = "payment.refunded_outside"
OUTSIDE_REFUND_MESSAGE = "Refunded outside the product, in the payment provider's dashboard."


class RefundFailed(DomainError):
    status_code = 502
    code = "refund_failed"


def _refund_reserve(
    *, attempt: PaymentAttempt, amount: Money, actor: User, idempotency_key: str
) -> PaymentRefund:
    """Commit a PENDING refund before the gateway hears of it. A pending refund counts against
    what is left, so two refunds at once cannot give back more than was paid."""
    with transaction.atomic(durable=True):
        locked = PaymentAttempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.status != PaymentStatus.SUCCEEDED:
            raise Conflict(_("Only a payment that went through can be refunded."))
        if amount.currency != locked.currency:
            raise DomainError(
                format_lazy(
                    _("Refund in {currency}, the payment's currency."), currency=locked.currency
                )
            )
        left = locked.amount - payment_refunded(attempt=locked)
        if amount.amount_minor > left.amount_minor:
            raise DomainError(
                format_lazy(
                    _("You can refund at most {left} of this payment ({paid} paid)."),
                    left=left,
                    paid=locked.amount,
                ),
                field="amount",
                code="refund_too_large",
            )
        return PaymentRefund.objects.create(
            attempt=locked,
            idempotency_key=idempotency_key,
            amount_minor=amount.amount_minor,
            currency=amount.currency,
            created_by=actor,
        )


def _refund_record(
    *, refund: PaymentRefund, actor: User, status: str, gateway_refund_id: str = "", **why
) -> PaymentRefund:
    with transaction.atomic():
        refund = PaymentRefund.objects.select_for_update().get(pk=refund.pk)
        if refund.status != RefundStatus.PENDING:
            return refund  # recorded already (a retry with the same key)
        refund.status, refund.settled_at = status, clock.now()
        refund.gateway_refund_id = gateway_refund_id
        refund.code, refund.message = why.get("code", ""), why.get("message", "")[:255]
        refund.save(update_fields=["status", "settled_at", "gateway_refund_id", "code", "message"])
        refund_settled(actor=actor, refund=refund)
    return refund


def _refund_alert(*, refund: PaymentRefund, detail: str) -> None:
    attempt = refund.attempt
    admin_alert_raise(
        reason="refund_failed",
        message=(
            f"Refund of {refund.amount} on payment {attempt.pk} "
            f"({attempt.invoice_reference or attempt.description}) did not go through: {detail}"
        ),
        target=attempt,
        customer_id=attempt.customer_id,
    )


def payment_refund(
    *, attempt: PaymentAttempt, amount: Money, actor: User, idempotency_key: str
) -> PaymentRefund:
    """Give back all or part of a succeeded payment through the gateway; staff only. Refusals
    carry lazy messages: the caller stores them in English and shows them in the asker's language.

    Never more than what is left (pending refunds count). The same key again returns the same
    refund (a pending one is re-sent with the same key, which the gateway answers once). A
    refusal or a timeout alerts an admin and raises RefundFailed with a clear message. Call it
    outside a transaction: the pending refund commits before the gateway is called.
    """
    if getattr(actor, "role", None) not in STAFF_ROLES:
        raise Forbidden(_("Only staff can refund a payment."))
    if amount.amount_minor <= 0:
        raise DomainError(_("Enter an amount to refund above zero."), field="amount")
    if not idempotency_key or len(idempotency_key) > 128:
        raise ValueError("idempotency_key must be 1 to 128 characters")
    refund = PaymentRefund.objects.filter(idempotency_key=idempotency_key).first()
    if refund is not None:
        if refund.attempt_id != attempt.pk or refund.amount != amount:
            raise Conflict(_("This refund key was already used for a different refund."))
        if refund.status == RefundStatus.SUCCEEDED:
            return refund
        if refund.status == RefundStatus.FAILED:
            raise RefundFailed(
                format_lazy(_("This refund was refused: {reason}"), reason=refund.message)
            )
    else:
        try:
            refund = _refund_reserve(
                attempt=attempt, amount=amount, actor=actor, idempotency_key=idempotency_key
            )
        except IntegrityError:  # a concurrent call with the same key reserved it first
            return payment_refund(
                attempt=attempt, amount=amount, actor=actor, idempotency_key=idempotency_key
            )
    try:
        result = get_gateway().refund(
            gateway_charge_id=attempt.gateway_charge_id,
            amount=amount,
            idempotency_key=idempotency_key,
        )
    except GatewayTimeout as lost:
        # The refund may or may not exist: it stays pending (still counted), and sending it
        # again with the same key is safe.
        _refund_alert(refund=refund, detail=f"no answer ({lost.code})")
        raise RefundFailed(
            _(
                "The payment provider did not answer, so the refund is not confirmed. "
                "Try again in a moment: it will not be paid out twice."
            )
        ) from lost
    except GatewayError as refused:
        _refund_record(
            refund=refund,
            actor=actor,
            status=RefundStatus.FAILED,
            code=refused.code,
            message=refused.message,
        )
        _refund_alert(refund=refund, detail=f"{refused.code}: {refused.message}")
        raise RefundFailed(
            format_lazy(_("The refund was refused: {reason}"), reason=refused.message)
        ) from refused
    return _refund_record(
        refund=refund,
        actor=actor,
        status=RefundStatus.SUCCEEDED,
        gateway_refund_id=result.gateway_refund_id,
    )


def payment_refund_record_outside(
    *, attempt_id: int, refunded_total: Money, reference: str, gateway_refund_id: str = ""
) -> PaymentRefund | None:
    """Record what the gateway says was refunded on a payment beyond the refunds we know of
    (pending ones count: ours may still be waiting for its answer). Returns the refund
    recorded, or None when nothing is new.

    `refunded_total` is everything refunded on the payment so far (Stripe's charge
    `amount_refunded`), so a late or repeated event records nothing twice; `reference` names
    the gateway's charge and, with the total, makes the refund's key. Raises Conflict while
    the payment is not recorded as succeeded yet.
    """
    with transaction.atomic():
        attempt = PaymentAttempt.objects.select_for_update().get(pk=attempt_id)
        if attempt.status != PaymentStatus.SUCCEEDED:
            # Its settle (the reconciler's, or the intent's own event) has not come yet: the
            # caller retries later rather than record a refund of money not known as paid.
            raise Conflict(
                format_lazy(
                    _("payment {id} is {status}, not yet succeeded"),
                    id=attempt.pk,
                    status=attempt.status,
                )
            )
        if refunded_total.currency != attempt.currency:
            raise ValueError(f"refund in {refunded_total.currency} on a {attempt.currency} payment")
        known = attempt.refunds.filter(
            status__in=[RefundStatus.PENDING, RefundStatus.SUCCEEDED]
        ).aggregate(total=Sum("amount_minor"))["total"]
        extra = refunded_total.amount_minor - (known or 0)
        if extra <= 0:
            return None
        refund = PaymentRefund.objects.create(
            attempt=attempt,
            idempotency_key=f"outside:{reference}:{refunded_total.amount_minor}"[:128],
            amount_minor=extra,
            currency=attempt.currency,
            status=RefundStatus.SUCCEEDED,
            gateway_refund_id=gateway_refund_id[:128],
            message=OUTSIDE_REFUND_MESSAGE,
            settled_at=clock.now(),
        )
        refund_recorded_outside(refund=refund)
        outbox_publish(
            topic=PAYMENT_REFUNDED_OUTSIDE_TOPIC,
            payload={
                "refund_id": refund.pk,
                "attempt_id": attempt.pk,
                "invoice_reference": attempt.invoice_reference,
                "amount_minor": refund.amount_minor,
                "currency": refund.currency,
            },
            dedupe_key=f"payment-refunded-outside:{refund.pk}",
        )
    return refund
