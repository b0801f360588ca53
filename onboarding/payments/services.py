"""Writes for cards on file and for charges.

Cards: the card number is handed to the gateway at once and forgotten. The gateway call happens
before the database transaction: a slow provider never holds a lock, and a refusal leaves nothing
behind but its audit entry, the journey's failed step and (as the seed asks for every card
failure) an admin alert.

Charges (`payment_collect`): the attempt is committed as PENDING before the gateway is called, so
a crash leaves evidence; its idempotency key is unique, so the same key never charges twice; a
timeout leaves it UNKNOWN for the reconciler (reconcile.py), never re-sent with a new key.
"""

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from onboarding.accounts.models import Customer, User
from onboarding.alerts.failures import report_failure
from onboarding.alerts.services import admin_alert_raise, admin_alerts_resolve_for
from onboarding.audit.bulk import AuditRow, audit_rows_write
from onboarding.audit.services import audit_record
from onboarding.core.bulk import instances_insert, rows_update
from onboarding.core.errors import Conflict, DomainError
from onboarding.core.money import Money
from onboarding.core.roles import STAFF_ROLES
from onboarding.journey.models import Step
from onboarding.journey.services import journey_step_fail
from onboarding.notifications.services import notification_send
from onboarding.payments.gateways import get_gateway
from onboarding.payments.gateways.base import (
    CardDetails,
    CardToken,
    ChargeRequest,
    ChargeResult,
    ChargeStatus,
    GatewayError,
    GatewayTimeout,
)
from onboarding.payments.models import (
    DECLINE_MESSAGES,
    PaymentAttempt,
    PaymentMethod,
    PaymentMethodStatus,
    PaymentRefund,
    PaymentStatus,
    RefundStatus,
)
from onboarding.payments.selectors import (
    cards_expiring_soon,
    payment_method_active,
    payment_refunded,
)

logger = logging.getLogger(__name__)


class CardRefused(DomainError):
    code = "card_refused"


# Refusals the customer causes and can fix with another card or a corrected entry: graded as
# warnings. Anything else (a timeout, a processing error, a setup failure) is an error on our side
# or the provider's.
CUSTOMER_SIDE_CARD_CODES = frozenset(
    {
        "card_declined",
        "generic_decline",
        "do_not_honor",
        "insufficient_funds",
        "expired_card",
        "incorrect_number",
        "invalid_number",
        "invalid_expiry",
        "invalid_expiry_month",
        "invalid_expiry_year",
        "incorrect_cvc",
        "invalid_cvc",
        "lost_card",
        "stolen_card",
        "card_not_supported",
        "authentication_required",
    }
)


def card_failure_severity(code: str) -> str:
    """The alert grade of a card failure: a refusal the customer can fix, or a system failure."""
    return "warning" if code in CUSTOMER_SIDE_CARD_CODES else "error"


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
        severity=card_failure_severity(code),
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
    identity_confirmed: bool = False,
) -> PaymentMethod:
    """Put a card on file, replacing the current one only once the caller has confirmed the
    actor's identity (the password asked again: accounts.reauthentication)."""
    replacing = payment_method_active(customer=customer) is not None
    if replacing and not identity_confirmed:
        audit_record(
            action="payment_method.replace_refused",
            actor=actor,
            target=customer,
            customer_id=customer.pk,
            outcome="refused",
            message="password not confirmed",
        )
        raise DomainError("Confirm your current password to replace the card.", field="password")
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
    admin_alerts_resolve_for(
        success="card_added",
        customer_id=customer.pk,
        target=customer,
        because=f"{method} was put on file for {customer.reference}.",
    )
    return method


# --- Charges ----------------------------------------------------------------------------------

UNKNOWN_MESSAGE = (
    "We are confirming this payment with the payment provider. You will not be charged twice."
)
FAILED_MESSAGE = "The payment could not be completed because of a problem at the payment provider."
DECLINED_MESSAGE = "Your card was declined."


def _customer_message(status: str, code: str, gateway_message: str) -> str:
    if status == PaymentStatus.SUCCEEDED:
        return ""
    if status == PaymentStatus.UNKNOWN:
        return UNKNOWN_MESSAGE
    fallback = DECLINED_MESSAGE if status == PaymentStatus.DECLINED else FAILED_MESSAGE
    return (gateway_message or DECLINE_MESSAGES.get(code) or fallback)[:255]


def reconcile_delay(tries: int) -> timedelta:
    """How long after its `tries`-th question the reconciler asks about an attempt again."""
    seconds = settings.PAYMENT_RECONCILE_BASE_SECONDS * 2 ** max(tries - 1, 0)
    return timedelta(seconds=min(seconds, settings.PAYMENT_RECONCILE_MAX_SECONDS))


def _attempt_start(
    *,
    customer: Customer,
    method: PaymentMethod,
    amount: Money,
    idempotency_key: str,
    description: str,
    reference: str,
) -> tuple[PaymentAttempt, bool]:
    """Commit the PENDING attempt before the gateway hears of it; (attempt, created)."""
    now = timezone.now()
    try:
        # durable: this row must be committed, not part of a caller's transaction that could
        # roll it back after the card was charged.
        with transaction.atomic(durable=True):
            attempt = PaymentAttempt.objects.create(
                customer=customer,
                payment_method=method,
                invoice_reference=reference[:64],
                description=description[:255],
                idempotency_key=idempotency_key,
                amount_minor=amount.amount_minor,
                currency=amount.currency,
                gateway=get_gateway().name,
                created_at=now,
                # If we crash before recording the answer, the reconciler picks it up then.
                next_reconcile_at=now + timedelta(seconds=settings.PAYMENT_PENDING_STALE_SECONDS),
            )
    except IntegrityError:
        # The same key was recorded first by a concurrent call: that call owns the charge.
        return PaymentAttempt.objects.get(idempotency_key=idempotency_key), False
    return attempt, True


def _attempt_existing(
    *, attempt: PaymentAttempt, customer_id: int, amount: Money
) -> PaymentAttempt:
    """A second call with a key already used: answer what the first one knows, charge nothing."""
    if attempt.customer_id != customer_id or attempt.amount != amount:
        raise Conflict("This payment key was already used for a different payment.")
    stale_before = timezone.now() - timedelta(seconds=settings.PAYMENT_PENDING_STALE_SECONDS)
    if attempt.status == PaymentStatus.PENDING and attempt.created_at <= stale_before:
        # The first call crashed between recording and answering: the charge may exist, so
        # it is unknown, and the reconciler asks the gateway by this same key.
        attempt, _ = payment_attempt_settle(
            attempt_id=attempt.pk,
            result=ChargeResult(ChargeStatus.UNKNOWN, code="interrupted"),
        )
    return attempt


def payment_collect(
    *,
    customer: Customer,
    amount: Money,
    idempotency_key: str,
    description: str,
    reference: str,
) -> PaymentAttempt:
    """Charge the customer's active card once per `idempotency_key`; return the attempt.

    Never raises for a decline or a gateway failure: the attempt's status says what happened
    (succeeded, declined, failed; unknown after a timeout, settled later by the reconciler; or
    pending while a concurrent call with the same key is still waiting for the gateway). A key
    used before returns that attempt and charges nothing. Raises DomainError when there is no
    card on file, and RuntimeError if called inside a transaction (the attempt must commit
    before the gateway is called).
    """
    if amount.amount_minor <= 0:
        raise DomainError("A payment must be for more than zero.", code="invalid_amount")
    if not idempotency_key or len(idempotency_key) > 128:
        raise ValueError("idempotency_key must be 1 to 128 characters")
    existing = PaymentAttempt.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _attempt_existing(attempt=existing, customer_id=customer.pk, amount=amount)
    method = payment_method_active(customer=customer)
    if method is None:
        raise DomainError(
            "There is no card on file to charge. Add a card and try again.", code="no_card"
        )
    attempt, created = _attempt_start(
        customer=customer,
        method=method,
        amount=amount,
        idempotency_key=idempotency_key,
        description=description,
        reference=reference,
    )
    if not created:
        return _attempt_existing(attempt=attempt, customer_id=customer.pk, amount=amount)
    [result] = charges_send(
        charges=[
            ChargeRequest(
                token=method.token,
                amount=amount,
                idempotency_key=idempotency_key,
                description=description,
            )
        ]
    )
    attempt, _ = payment_attempt_settle(attempt_id=attempt.pk, result=result)
    return attempt


_SETTLE_FIELDS = [
    "status",
    "code",
    "message",
    "gateway_charge_id",
    "settled_at",
    "next_reconcile_at",
]


def _result_apply(*, attempt: PaymentAttempt, result: ChargeResult, now: datetime) -> str | None:
    """Apply the gateway's answer in memory; the status it moved from, or None if no move."""
    status = PaymentStatus(result.status.value)
    if attempt.status == status or not attempt.can_move_to(status):
        return None
    previous = attempt.status
    attempt.move_to(status)
    attempt.code = (result.code or "")[:64]
    attempt.message = _customer_message(status, attempt.code, result.message)
    attempt.gateway_charge_id = result.gateway_charge_id or attempt.gateway_charge_id
    if attempt.is_settled:
        attempt.settled_at, attempt.next_reconcile_at = now, None
    else:
        attempt.next_reconcile_at = now + reconcile_delay(attempt.reconcile_attempts)
    return previous


def _contradicts(attempt: PaymentAttempt, result: ChargeResult) -> bool:
    return attempt.is_settled and result.status not in (attempt.status, ChargeStatus.UNKNOWN)


def _settle_audit(attempt: PaymentAttempt, previous: str) -> dict:
    """What audit_record is given for a settle (also written in bulk by payment_collect_many)."""
    return {
        "action": f"payment.{attempt.status}",
        "object_type": PaymentAttempt._meta.label_lower,
        "object_id": attempt.pk,
        "customer_id": attempt.customer_id,
        "changes": {"status": [previous, attempt.status]},
        "outcome": "success" if attempt.status == PaymentStatus.SUCCEEDED else "failure",
        "message": (
            f"{attempt.amount} for {attempt.invoice_reference or attempt.description}"
            + (f" ({attempt.code})" if attempt.code else "")
        ),
    }


def _mismatch_alert(attempt: PaymentAttempt, result: ChargeResult) -> None:
    logger.error(
        "payment %s is %s but the gateway says %s", attempt.pk, attempt.status, result.status
    )
    admin_alert_raise(
        reason="payment_mismatch",
        message=(
            f"Payment {attempt.pk} ({attempt.amount}, {attempt.invoice_reference}) is recorded "
            f"as {attempt.status} but the gateway now says {result.status}. Check it by hand."
        ),
        target=attempt,
        customer_id=attempt.customer_id,
    )


def payment_attempt_settle(
    *, attempt_id: int, result: ChargeResult, now: datetime | None = None
) -> tuple[PaymentAttempt, bool]:
    """Record the gateway's answer on an attempt; (attempt, changed). Idempotent.

    An UNKNOWN answer moves a PENDING attempt to UNKNOWN (due for the reconciler); a final answer
    settles a PENDING or UNKNOWN one. An answer for an attempt already settled changes nothing;
    if it contradicts the settled status, an admin is alerted (money may have moved).
    """
    now = now or timezone.now()
    with transaction.atomic():
        attempt = PaymentAttempt.objects.select_for_update().get(pk=attempt_id)
        previous = _result_apply(attempt=attempt, result=result, now=now)
        if previous is not None:
            attempt.save(update_fields=_SETTLE_FIELDS)
            audit_record(**_settle_audit(attempt, previous))
            return attempt, True
    if _contradicts(attempt, result):
        _mismatch_alert(attempt, result)
    return attempt, False


def _as_result(answer: ChargeResult | Exception, charge: ChargeRequest) -> ChargeResult:
    if isinstance(answer, ChargeResult):
        return answer
    if isinstance(answer, GatewayTimeout):
        return ChargeResult(ChargeStatus.UNKNOWN, code="timeout")
    if isinstance(answer, GatewayError):
        return ChargeResult(ChargeStatus.FAILED, code=answer.code, message=answer.message)
    # Something broke after the request may have left: the money may have moved, so the outcome
    # is unknown (never failed), and a person hears of it.
    report_failure(
        reason="payment_gateway_error",
        user_message="Charging a card raised an unexpected error; the outcome is unknown",
        error=answer,
        context={"idempotency_key": charge.idempotency_key},
    )
    return ChargeResult(ChargeStatus.UNKNOWN, code="gateway_error")


def charges_send(*, charges: list[ChargeRequest]) -> list[ChargeResult]:
    """Send charges to the gateway (in bulk if it can) and answer each, in order; never raises.

    Only for attempts already committed as PENDING: this is the one place a card is charged.
    """
    gateway = get_gateway()
    charge_many = getattr(gateway, "charge_many", None)
    if charge_many is not None and len(charges) > 1:
        try:
            answers: list = charge_many(charges=charges)
        except Exception as error:  # no answer for the whole batch: each is unknown
            answers = [error] * len(charges)
    else:
        answers = []
        for c in charges:
            try:
                answers.append(
                    gateway.charge(
                        token=c.token,
                        amount=c.amount,
                        idempotency_key=c.idempotency_key,
                        description=c.description,
                    )
                )
            except Exception as error:  # mapped to unknown or failed by _as_result
                answers.append(error)
    return [_as_result(a, c) for a, c in zip(answers, charges, strict=True)]


@dataclass(frozen=True)
class CollectRequest:
    """One charge for payment_collect_many: the same arguments as payment_collect."""

    customer_id: int
    amount: Money
    idempotency_key: str
    description: str
    reference: str


@dataclass(frozen=True)
class CollectOutcome:
    """The attempt payment_collect would return, or the DomainError it would raise."""

    request: CollectRequest
    attempt: PaymentAttempt | None
    error: DomainError | None = None


def _audit_many(rows: list[dict]) -> None:
    """audit_record for many settles at once, in plain multi-row writes; no actor (the system
    charged)."""
    audit_rows_write([AuditRow(**row) for row in rows])


def _attempts_save_many(attempts: list[PaymentAttempt]) -> None:
    """Save the settle fields of many attempts in one statement (bulk_update's CASE expressions
    grow with the batch squared)."""
    rows_update(
        PaymentAttempt,
        _SETTLE_FIELDS,
        [(*(getattr(a, name) for name in _SETTLE_FIELDS), a.pk) for a in attempts],
    )


def _attempts_settle_many(
    *, answers: dict[int, ChargeResult], now: datetime
) -> dict[int, PaymentAttempt]:
    """payment_attempt_settle for many attempts in one transaction; returns them by id."""
    with transaction.atomic():
        locked = {
            a.pk: a
            for a in PaymentAttempt.objects.select_for_update()
            .filter(pk__in=list(answers))
            .order_by("pk")
        }
        changed, audits, contradicted = [], [], []
        for pk, result in answers.items():
            attempt = locked[pk]
            previous = _result_apply(attempt=attempt, result=result, now=now)
            if previous is not None:
                changed.append(attempt)
                audits.append(_settle_audit(attempt, previous))
            elif _contradicts(attempt, result):
                contradicted.append((attempt, result))
        _attempts_save_many(changed)
        _audit_many(audits)
    for attempt, result in contradicted:
        _mismatch_alert(attempt, result)
    return locked


def payment_collect_many(*, requests: Sequence[CollectRequest]) -> list[CollectOutcome]:
    """payment_collect for a batch, with the same guarantees, in a few queries per batch.

    The new attempts commit together as PENDING before the gateway hears of any of them; then
    they are charged (in bulk where the gateway can) and settled in one transaction. Outcomes
    come back in the order of `requests`; what payment_collect would raise for one charge (no
    card on file, a key reused for another payment) is that outcome's `error`. Keys must be
    unique within the batch. Call it outside any transaction.
    """
    keys = [r.idempotency_key for r in requests]
    if len(set(keys)) != len(keys):
        raise ValueError("each charge of a batch needs its own idempotency_key")
    if any(not key or len(key) > 128 for key in keys):
        raise ValueError("idempotency_key must be 1 to 128 characters")
    existing = {
        a.idempotency_key: a for a in PaymentAttempt.objects.filter(idempotency_key__in=keys)
    }
    methods = {
        m.customer_id: m
        for m in PaymentMethod.objects.filter(
            customer_id__in={r.customer_id for r in requests}, status=PaymentMethodStatus.ACTIVE
        )
    }
    outcomes: dict[str, CollectOutcome] = {}
    fresh: list[tuple[CollectRequest, PaymentAttempt]] = []
    now, gateway_name = timezone.now(), get_gateway().name
    stale_at = now + timedelta(seconds=settings.PAYMENT_PENDING_STALE_SECONDS)
    for r in requests:
        try:
            if r.idempotency_key in existing:
                attempt = _attempt_existing(
                    attempt=existing[r.idempotency_key], customer_id=r.customer_id, amount=r.amount
                )
                outcomes[r.idempotency_key] = CollectOutcome(r, attempt)
                continue
            if r.amount.amount_minor <= 0:
                raise DomainError("A payment must be for more than zero.", code="invalid_amount")
            if r.customer_id not in methods:
                raise DomainError(
                    "There is no card on file to charge. Add a card and try again.", code="no_card"
                )
        except DomainError as refused:
            outcomes[r.idempotency_key] = CollectOutcome(r, None, refused)
            continue
        fresh.append(
            (
                r,
                PaymentAttempt(
                    customer_id=r.customer_id,
                    payment_method=methods[r.customer_id],
                    invoice_reference=r.reference[:64],
                    description=r.description[:255],
                    idempotency_key=r.idempotency_key,
                    amount_minor=r.amount.amount_minor,
                    currency=r.amount.currency,
                    gateway=gateway_name,
                    created_at=now,
                    next_reconcile_at=stale_at,
                ),
            )
        )
    if fresh:
        try:
            with transaction.atomic(durable=True):
                # Inserted in key order, so overlapping batches wait on each other instead of
                # deadlocking on the unique index.
                instances_insert(
                    sorted((attempt for _, attempt in fresh), key=lambda a: a.idempotency_key)
                )
        except IntegrityError:
            # A concurrent call recorded one of these keys first: take them one at a time, each
            # answering by its key, so nothing is charged twice.
            for r, _ in fresh:
                outcomes[r.idempotency_key] = _collect_one(r, methods[r.customer_id])
            return [outcomes[key] for key in keys]
        answers = charges_send(
            charges=[
                ChargeRequest(
                    token=methods[r.customer_id].token,
                    amount=r.amount,
                    idempotency_key=r.idempotency_key,
                    description=r.description,
                )
                for r, _ in fresh
            ]
        )
        settled = _attempts_settle_many(
            answers={
                attempt.pk: answer for (_, attempt), answer in zip(fresh, answers, strict=True)
            },
            now=timezone.now(),
        )
        for r, attempt in fresh:
            outcomes[r.idempotency_key] = CollectOutcome(r, settled[attempt.pk])
    return [outcomes[key] for key in keys]


def _collect_one(r: CollectRequest, method: PaymentMethod) -> CollectOutcome:
    try:
        attempt = payment_collect(
            customer=method.customer,
            amount=r.amount,
            idempotency_key=r.idempotency_key,
            description=r.description,
            reference=r.reference,
        )
    except DomainError as refused:
        return CollectOutcome(r, None, refused)
    return CollectOutcome(r, attempt)


# --- Refunds ----------------------------------------------------------------------------------


class RefundNotAllowed(DomainError):
    status_code = 403
    code = "forbidden"


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
            raise Conflict("Only a payment that went through can be refunded.")
        if amount.currency != locked.currency:
            raise DomainError(f"Refund in {locked.currency}, the payment's currency.")
        left = locked.amount - payment_refunded(attempt=locked)
        if amount.amount_minor > left.amount_minor:
            raise DomainError(
                f"You can refund at most {left} of this payment ({locked.amount} paid).",
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
        refund.status, refund.settled_at = status, timezone.now()
        refund.gateway_refund_id = gateway_refund_id
        refund.code, refund.message = why.get("code", ""), why.get("message", "")[:255]
        refund.save(update_fields=["status", "settled_at", "gateway_refund_id", "code", "message"])
        succeeded = status == RefundStatus.SUCCEEDED
        audit_record(
            action="payment.refunded" if succeeded else "payment.refund_failed",
            actor=actor,
            target=refund.attempt,
            customer_id=refund.attempt.customer_id,
            changes={"refunded": [None, str(refund.amount)]},
            outcome="success" if succeeded else "failure",
            message=f"refund {refund.pk}" + (f": {refund.code}" if refund.code else ""),
        )
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
    """Give back all or part of a succeeded payment through the gateway; staff only.

    Never more than what is left (pending refunds count). The same key again returns the same
    refund (a pending one is re-sent with the same key, which the gateway answers once). A
    refusal or a timeout alerts an admin and raises RefundFailed with a clear message. Call it
    outside a transaction: the pending refund commits before the gateway is called.
    """
    if getattr(actor, "role", None) not in STAFF_ROLES:
        raise RefundNotAllowed("Only staff can refund a payment.")
    if amount.amount_minor <= 0:
        raise DomainError("Enter an amount to refund above zero.", field="amount")
    if not idempotency_key or len(idempotency_key) > 128:
        raise ValueError("idempotency_key must be 1 to 128 characters")
    refund = PaymentRefund.objects.filter(idempotency_key=idempotency_key).first()
    if refund is not None:
        if refund.attempt_id != attempt.pk or refund.amount != amount:
            raise Conflict("This refund key was already used for a different refund.")
        if refund.status == RefundStatus.SUCCEEDED:
            return refund
        if refund.status == RefundStatus.FAILED:
            raise RefundFailed(f"This refund was refused: {refund.message}")
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
            "The payment provider did not answer, so the refund is not confirmed. "
            "Try again in a moment: it will not be paid out twice."
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
        raise RefundFailed(f"The refund was refused: {refused.message}") from refused
    return _refund_record(
        refund=refund,
        actor=actor,
        status=RefundStatus.SUCCEEDED,
        gateway_refund_id=result.gateway_refund_id,
    )


# --- Expiring cards ---------------------------------------------------------------------------


def card_expiry_remind(*, method_id: int, now: datetime | None = None) -> bool:
    """Remind the card's owner, once per card, that it expires soon; False if already done."""
    now = now or timezone.now()
    with transaction.atomic():
        # The guarded UPDATE is the "once": a second run, or a concurrent one, changes no row.
        claimed = PaymentMethod.objects.filter(
            pk=method_id, status=PaymentMethodStatus.ACTIVE, expiry_reminded_at__isnull=True
        ).update(expiry_reminded_at=now)
        if not claimed:
            return False
        method = PaymentMethod.objects.select_related("customer__user").get(pk=method_id)
        customer = method.customer
        expired = method.expires_on < now.date()
        notification_send(
            recipient=customer.user,
            kind="card_expiring",
            subject=(
                f"Your card ending {method.last4} " + ("has expired" if expired else "expires soon")
            ),
            template="payments/email/card_expiring",
            context={
                "customer": customer,
                "method": method,
                "expired": expired,
                "card_url": settings.SITE_URL + reverse("payments:card"),
            },
            dedupe_key=f"card-expiring:{method.pk}",
        )
        audit_record(
            action="payment_method.expiry_reminded",
            target=method,
            customer_id=customer.pk,
            message=f"{method} reminder sent to {customer.user.preferred_inbox}",
        )
    return True


def cards_remind_expiring(*, today: dt.date | None = None) -> int:
    """Remind every customer whose active card expires within 30 days; return how many."""
    reminded = 0
    due = cards_expiring_soon(today=today).filter(expiry_reminded_at__isnull=True)
    for method_id in due.values_list("pk", flat=True):
        reminded += card_expiry_remind(method_id=method_id)
    return reminded
