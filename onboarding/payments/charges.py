"""Charges: collecting money from the card on file, for one invoice or a batch, by one path.

The attempt is committed as PENDING before the gateway is called, so a crash leaves evidence; its
idempotency key is unique, so the same key never charges twice; a timeout leaves it UNKNOWN for
the reconciler (reconcile.py), never re-sent with a new key. A single charge (`payment_collect`)
is a batch of one (`payment_collect_many`), so both give the same answers and guarantees.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from onboarding.accounts.models import Customer
from onboarding.alerts.failures import report_failure
from onboarding.alerts.services import admin_alert_raise
from onboarding.audit.bulk import audit_rows_write
from onboarding.core import clock
from onboarding.core.backoff import backoff_seconds
from onboarding.core.bulk import rows_insert, rows_update
from onboarding.core.errors import Conflict, DomainError
from onboarding.core.money import Money
from onboarding.payments.events import payment_settled, payment_settled_row
from onboarding.payments.gateways import get_gateway
from onboarding.payments.gateways.base import (
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
    PaymentStatus,
)

logger = logging.getLogger(__name__)

UNKNOWN_MESSAGE = (
    "We are confirming this payment with the payment provider. You will not be charged twice."
)
FAILED_MESSAGE = "The payment could not be completed because of a problem at the payment provider."
DECLINED_MESSAGE = "Your card was declined."
INVALID_AMOUNT_MESSAGE = "A payment must be for more than zero."
NO_CARD_MESSAGE = "There is no card on file to charge. Add a card and try again."
KEY_REUSED_MESSAGE = "This payment key was already used for a different payment."


def _customer_message(status: str, code: str, gateway_message: str) -> str:
    if status == PaymentStatus.SUCCEEDED:
        return ""
    if status == PaymentStatus.UNKNOWN:
        return UNKNOWN_MESSAGE
    if status == PaymentStatus.REQUIRES_ACTION:
        return (gateway_message or DECLINE_MESSAGES["authentication_required"])[:255]
    fallback = DECLINED_MESSAGE if status == PaymentStatus.DECLINED else FAILED_MESSAGE
    return (gateway_message or DECLINE_MESSAGES.get(code) or fallback)[:255]


def reconcile_delay(tries: int) -> timedelta:
    """How long after its `tries`-th question the reconciler asks about an attempt again.

    Without jitter: the reconciler's periodic run asks about due attempts one after another, so
    attempts that went unknown together never reach the gateway as one burst.
    """
    return timedelta(
        seconds=backoff_seconds(
            tries,
            base=settings.PAYMENT_RECONCILE_BASE_SECONDS,
            cap=settings.PAYMENT_RECONCILE_MAX_SECONDS,
            jitter=False,
        )
    )


# --- Collecting -------------------------------------------------------------------------------


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
    [outcome] = payment_collect_many(
        requests=[
            CollectRequest(
                customer_id=customer.pk,
                amount=amount,
                idempotency_key=idempotency_key,
                description=description,
                reference=reference,
            )
        ]
    )
    if outcome.error is not None:
        raise outcome.error
    assert outcome.attempt is not None  # an outcome holds an attempt or an error
    return outcome.attempt


def payment_collect_many(*, requests: Sequence[CollectRequest]) -> list[CollectOutcome]:
    """Charge each request's customer once per idempotency key, in a few queries per batch.

    The new attempts commit together as PENDING before the gateway hears of any of them; then
    they are charged (in bulk where the gateway can) and settled in one transaction. Outcomes
    come back in the order of `requests`; a charge refused before the gateway (no card on file,
    an amount of zero, a key reused for another payment) is that outcome's `error`. Keys must be
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
    fresh: list[tuple[CollectRequest, tuple]] = []
    now, gateway_name = clock.now(), get_gateway().name
    for r in requests:
        if r.idempotency_key in existing:
            outcomes[r.idempotency_key] = _outcome_existing(r, existing[r.idempotency_key])
        elif r.amount.amount_minor <= 0:
            refused = DomainError(INVALID_AMOUNT_MESSAGE, code="invalid_amount")
            outcomes[r.idempotency_key] = CollectOutcome(r, None, refused)
        elif r.customer_id not in methods:
            refused = DomainError(NO_CARD_MESSAGE, code="no_card")
            outcomes[r.idempotency_key] = CollectOutcome(r, None, refused)
        else:
            fresh.append((r, _attempt_row(r, methods[r.customer_id], gateway_name, now)))
    attempt_ids = _attempts_record([row for _, row in fresh]) if fresh else None
    if fresh and attempt_ids is None:
        outcomes.update(_collect_after_a_race(fresh))
    elif fresh:
        assert attempt_ids is not None  # recorded: one id per fresh row, in order
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
            answers=dict(zip(attempt_ids, answers, strict=True)), now=clock.now()
        )
        for (r, _), attempt_id in zip(fresh, attempt_ids, strict=True):
            outcomes[r.idempotency_key] = CollectOutcome(r, settled[attempt_id])
    return [outcomes[key] for key in keys]


# A new attempt's columns, as _attempt_row gives them. The row is written as it is and never
# used as an instance: the settle reads the attempts back, locked, as the instances it returns.
_NEW_ATTEMPT_COLUMNS = (
    "idempotency_key",
    "customer_id",
    "payment_method_id",
    "invoice_reference",
    "description",
    "amount_minor",
    "currency",
    "status",
    "code",
    "message",
    "gateway",
    "gateway_charge_id",
    "created_at",
    "settled_at",
    "reconcile_attempts",
    "next_reconcile_at",
)


def _attempt_row(r: CollectRequest, method: PaymentMethod, gateway: str, now: datetime) -> tuple:
    """A PENDING attempt's row (in _NEW_ATTEMPT_COLUMNS order) for the charge of `r`."""
    return (
        r.idempotency_key,
        r.customer_id,
        method.pk,
        r.reference[:64],
        r.description[:255],
        r.amount.amount_minor,
        r.amount.currency,
        PaymentStatus.PENDING.value,
        "",
        "",
        gateway,
        "",
        now,
        None,
        0,
        # If we crash before recording the answer, the reconciler picks it up then.
        now + timedelta(seconds=settings.PAYMENT_PENDING_STALE_SECONDS),
    )


def _attempts_record(rows: list[tuple]) -> list[int] | None:
    """Commit new attempts as PENDING, all or none, and return their ids in the order of `rows`;
    None if a concurrent call recorded one of their keys first."""
    # Inserted in key order (a row's first column), so overlapping batches wait on each other
    # instead of deadlocking on the unique index.
    order = sorted(range(len(rows)), key=lambda index: rows[index][0])
    try:
        # durable: these rows must be committed, not part of a caller's transaction that could
        # roll them back after the cards were charged.
        with transaction.atomic(durable=True):
            keys = rows_insert(
                PaymentAttempt, _NEW_ATTEMPT_COLUMNS, [rows[i] for i in order], returning=True
            )
    except IntegrityError:
        return None
    ids = [0] * len(rows)
    for index, key in zip(order, keys, strict=True):
        ids[index] = key
    return ids


def _collect_after_a_race(
    fresh: list[tuple[CollectRequest, tuple]],
) -> dict[str, CollectOutcome]:
    """Outcomes for a batch whose insert lost a race for a key (and so recorded nothing).

    Alone, the charge's key was taken: the call that took it owns the charge, and this one
    answers what that call knows. In a batch, each charge goes again alone, so only the taken
    keys answer that way and nothing is charged twice.
    """
    if len(fresh) == 1:
        [(r, _)] = fresh
        taken = PaymentAttempt.objects.get(idempotency_key=r.idempotency_key)
        return {r.idempotency_key: _outcome_existing(r, taken)}
    return {r.idempotency_key: payment_collect_many(requests=[r])[0] for r, _ in fresh}


def _outcome_existing(r: CollectRequest, attempt: PaymentAttempt) -> CollectOutcome:
    try:
        return CollectOutcome(
            r, _attempt_existing(attempt=attempt, customer_id=r.customer_id, amount=r.amount)
        )
    except DomainError as refused:
        return CollectOutcome(r, None, refused)


def _attempt_existing(
    *, attempt: PaymentAttempt, customer_id: int, amount: Money
) -> PaymentAttempt:
    """A second call with a key already used: answer what the first one knows, charge nothing."""
    if attempt.customer_id != customer_id or attempt.amount != amount:
        raise Conflict(KEY_REUSED_MESSAGE)
    stale_before = timezone.now() - timedelta(seconds=settings.PAYMENT_PENDING_STALE_SECONDS)
    if attempt.status == PaymentStatus.PENDING and attempt.created_at <= stale_before:
        # The first call crashed between recording and answering: the charge may exist, so
        # it is unknown, and the reconciler asks the gateway by this same key.
        attempt, _ = payment_attempt_settle(
            attempt_id=attempt.pk,
            result=ChargeResult(ChargeStatus.UNKNOWN, code="interrupted"),
        )
    return attempt


# --- Settling ---------------------------------------------------------------------------------

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
    elif status == PaymentStatus.REQUIRES_ACTION:
        # The customer's to confirm: the confirmation page or Stripe's webhook settles it.
        attempt.next_reconcile_at = None
    else:
        attempt.next_reconcile_at = now + reconcile_delay(attempt.reconcile_attempts)
    return previous


def _contradicts(attempt: PaymentAttempt, result: ChargeResult) -> bool:
    return attempt.is_settled and result.status not in (attempt.status, ChargeStatus.UNKNOWN)


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
    now = now or clock.now()
    with transaction.atomic():
        attempt = PaymentAttempt.objects.select_for_update().get(pk=attempt_id)
        previous = _result_apply(attempt=attempt, result=result, now=now)
        if previous is not None:
            attempt.save(update_fields=_SETTLE_FIELDS)
            payment_settled(attempt=attempt, previous=previous)
            return attempt, True
    if _contradicts(attempt, result):
        _mismatch_alert(attempt, result)
    return attempt, False


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
                audits.append(payment_settled_row(attempt=attempt, previous=previous))
            elif _contradicts(attempt, result):
                contradicted.append((attempt, result))
        _attempts_save_many(changed)
        audit_rows_write(audits)
    for attempt, result in contradicted:
        _mismatch_alert(attempt, result)
    return locked


# --- Sending ----------------------------------------------------------------------------------


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
