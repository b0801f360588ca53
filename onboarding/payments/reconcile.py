"""The reconciler: settle charges whose answer was lost (UNKNOWN) or never recorded (a PENDING
attempt left by a crash), by asking the gateway what happened to their idempotency key.

Never re-sends a charge itself. Found: settled to the gateway's outcome. Not found once the
attempt is older than PAYMENT_LOOKUP_GRACE_SECONDS: the gateway never saw it, so that attempt
failed, code `not_received` (nothing was charged); billing then sends the invoice again at once
as a new attempt with a new key, telling the customer nothing (billing/resend.py). Still unknown
after PAYMENT_RECONCILE_MAX_TRIES questions (backing off from PAYMENT_RECONCILE_BASE_SECONDS):
an admin is alerted once, and it keeps being asked at the capped interval. A settle publishes
`payment.settled` in its own transaction (docs/events.md): whoever charged (billing) hears of
every settle through the outbox, at least once, without payments knowing who listens.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F

from onboarding.alerts.failures import report_failure
from onboarding.alerts.services import admin_alert_raise
from onboarding.core import clock
from onboarding.notifications.services import outbox_publish
from onboarding.payments.charges import payment_attempt_settle, reconcile_delay
from onboarding.payments.gateways import get_gateway
from onboarding.payments.gateways.base import (
    NOT_RECEIVED,
    ChargeResult,
    ChargeStatus,
    GatewayError,
)
from onboarding.payments.models import PAYMENT_OPEN, PaymentAttempt

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
NOT_RECEIVED_MESSAGE = "The payment did not reach the payment provider; nothing was charged."
# Published in the transaction that settles an open attempt to its final status.
PAYMENT_SETTLED_TOPIC = "payment.settled"


def payment_reconcile_unknown(*, now: datetime | None = None) -> int:
    """Ask the gateway about every open attempt that is due; return how many were settled."""
    now = now or clock.now()
    due = list(
        PaymentAttempt.objects.filter(
            clock.customer_scope("customer"), status__in=PAYMENT_OPEN, next_reconcile_at__lte=now
        )
        .order_by("next_reconcile_at")
        .only("pk", "idempotency_key", "created_at", "reconcile_attempts", "customer_id")[
            :BATCH_SIZE
        ]
    )
    settled = 0
    for attempt in due:
        try:
            settled += _reconcile_one(attempt=attempt, now=now)
        except Exception as error:  # one broken attempt must not stop the others
            report_failure(
                reason="payment_reconcile_failed",
                user_message=f"Reconciling payment {attempt.pk} failed",
                error=error,
                target=attempt,
                customer_id=attempt.customer_id,
            )
    return settled


def _claim(*, attempt: PaymentAttempt, now: datetime) -> int | None:
    """Count this question and push the next one back; None if another run got there first."""
    tries = attempt.reconcile_attempts + 1
    claimed = PaymentAttempt.objects.filter(
        pk=attempt.pk,
        status__in=PAYMENT_OPEN,
        reconcile_attempts=attempt.reconcile_attempts,
    ).update(
        reconcile_attempts=F("reconcile_attempts") + 1,
        next_reconcile_at=now + reconcile_delay(tries),
    )
    return tries if claimed else None


def _ask_gateway(*, attempt: PaymentAttempt, now: datetime) -> ChargeResult:
    try:
        found = get_gateway().lookup_charge(idempotency_key=attempt.idempotency_key)
    except GatewayError as unanswered:  # a timeout included: ask again later
        return ChargeResult(ChargeStatus.UNKNOWN, code=f"lookup_{unanswered.code}")
    if found is not None:
        return found
    grace = timedelta(seconds=settings.PAYMENT_LOOKUP_GRACE_SECONDS)
    if attempt.created_at <= now - grace:
        return ChargeResult(ChargeStatus.FAILED, code=NOT_RECEIVED, message=NOT_RECEIVED_MESSAGE)
    return ChargeResult(ChargeStatus.UNKNOWN, code="not_found_yet")


def _reconcile_one(*, attempt: PaymentAttempt, now: datetime) -> bool:
    tries = _claim(attempt=attempt, now=now)
    if tries is None:
        return False
    result = _ask_gateway(attempt=attempt, now=now)
    if result.status == ChargeStatus.UNKNOWN:
        # A crashed PENDING attempt becomes UNKNOWN; an UNKNOWN one stays as it is.
        payment_attempt_settle(attempt_id=attempt.pk, result=result, now=now)
        if tries == settings.PAYMENT_RECONCILE_MAX_TRIES:
            _alert_still_unknown(attempt_id=attempt.pk, tries=tries)
        return False
    with transaction.atomic():
        settled, changed = payment_attempt_settle(attempt_id=attempt.pk, result=result, now=now)
        if changed:
            payment_settled_publish(attempt=settled)
    return changed


def payment_settled_publish(*, attempt: PaymentAttempt) -> None:
    """Tell whoever charged that an open attempt is settled, or now waits for the customer's
    confirmation (requires_action); once per attempt and status (a final status never changes
    again). The reconciler, the Stripe webhook (stripe_events.py) and the confirmation step
    (authentication.py) call it, in the transaction of their settle."""
    outbox_publish(
        topic=PAYMENT_SETTLED_TOPIC,
        payload={
            "attempt_id": attempt.pk,
            "invoice_reference": attempt.invoice_reference,
            "idempotency_key": attempt.idempotency_key,
            "status": attempt.status,
            "code": attempt.code,
        },
        dedupe_key=(
            f"payment-settled:{attempt.pk}"
            if attempt.is_settled
            else f"payment-settled:{attempt.pk}:{attempt.status}"
        ),
    )


def _alert_still_unknown(*, attempt_id: int, tries: int) -> None:
    attempt = PaymentAttempt.objects.get(pk=attempt_id)
    logger.warning("payment %s still unknown after %s lookups", attempt.pk, tries)
    admin_alert_raise(
        reason="payment_unknown",
        message=(
            f"The outcome of payment {attempt.pk} ({attempt.amount}, "
            f"{attempt.invoice_reference or attempt.description}) is still unknown after "
            f"{tries} questions to the gateway. Check it in the gateway's dashboard by the key "
            f"{attempt.idempotency_key}."
        ),
        target=attempt,
        customer_id=attempt.customer_id,
    )
