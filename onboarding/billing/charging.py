"""Charging invoices: reserve an attempt, send it through payments, apply what happened.

1. Reserve, in the transaction that locks the invoice: attempt n+1 becomes the invoice's
   attempt and its payment state PROCESSING. This commits before anything is sent.
2. Send, outside any transaction (payment_collect commits its attempt before the gateway hears
   of it): the key is "invoice:<number>:attempt:<n>", derived only from committed data, so a
   crash anywhere sends the same key again and payments answers with the attempt it already
   has. One attempt can never charge the card twice.
3. Apply, one transaction per batch: the attempt's status as payments recorded it moves the
   invoice (paid, dunning, uncollectible, or pending while the gateway's answer is unknown) and
   its subscription, audited, with the journey after a first payment; a subscription's first
   paid invoice publishes `invoice.first_paid` (contracts subscribe: docs/events.md). PDFs,
   notices and admin alerts are the follow-up's work (followups.py), flagged by followup_due.

An invoice left PROCESSING by a process that died is sent again, with its reserved key, by the
next bill run or dunning pass (`invoices_processing_resume`). On PostgreSQL an invoice being
sent is held by a session advisory lock, which dies with its connection: live processes never
send the same invoice at once, and a dead process's invoices are free at once. An attempt the
gateway never received (settled `not_received` by payments' reconciler) is no failure: the next
attempt is reserved and sent at once, and the customer is told nothing (resend.py).
"""

import functools
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction

from onboarding.alerts.failures import report_failure
from onboarding.alerts.services import Succeeded, admin_alerts_resolve_many
from onboarding.audit.bulk import AuditRow, audit_rows_write
from onboarding.billing import dunning_holds, events
from onboarding.billing.models import (
    PAYABLE_STATUSES,
    PAYMENT_FAILED,
    PAYMENT_IN_FLIGHT,
    SUBSCRIPTION_MOVES,
    Invoice,
    InvoiceStatus,
    PaymentState,
    RetryStop,
    Subscription,
    SubscriptionStatus,
)
from onboarding.billing.plan_settle import plan_changes_follow
from onboarding.billing.resend import (
    never_received_counts,
    resend_allowed,
    resend_reserve,
    resends_exhausted_alert,
)
from onboarding.billing.retry_timing import dunning_after_failure, is_hard, preferred_hours
from onboarding.core import clock
from onboarding.core.bulk import rows_update
from onboarding.core.money import Money
from onboarding.journey.models import Step
from onboarding.journey.services import journey_step_complete, journey_step_fail
from onboarding.notifications.services import outbox_publish
from onboarding.payments.charges import CollectOutcome, CollectRequest, payment_collect_many
from onboarding.payments.gateways.base import NOT_RECEIVED
from onboarding.payments.models import PaymentAttempt, PaymentStatus

logger = logging.getLogger(__name__)

# Published once per subscription, in the transaction that records its first paid invoice.
INVOICE_FIRST_PAID_TOPIC = "invoice.first_paid"
# payment_collect refusals that mean "this attempt failed", not "our code is broken".
_REFUSALS_AS_FAILURES = {"no_card", "invalid_amount"}
# Namespace of the advisory locks on invoices being charged (the ids are added to it).
_LOCK_NAMESPACE = 0x4249 << 40

_STATE_OF_PAYMENT = {
    PaymentStatus.SUCCEEDED: PaymentState.SUCCEEDED,
    PaymentStatus.DECLINED: PaymentState.DECLINED,
    PaymentStatus.FAILED: PaymentState.FAILED,
    PaymentStatus.PENDING: PaymentState.PENDING,
    PaymentStatus.UNKNOWN: PaymentState.PENDING,
    PaymentStatus.REQUIRES_ACTION: PaymentState.ACTION_REQUIRED,
}
# States an answer of the invoice's current attempt may still move: in flight, or waiting for
# the customer's confirmation (SCA), which the confirmation page or a webhook settles later.
_AWAITING_ANSWER = (*PAYMENT_IN_FLIGHT, PaymentState.ACTION_REQUIRED)


def charge_key(*, number: str, attempt: int) -> str:
    """The idempotency key of an invoice's attempt `attempt`: derived only from committed data."""
    return f"invoice:{number}:attempt:{attempt}"


@dataclass(frozen=True)
class Charge:
    """One reserved attempt of one invoice, ready to send."""

    invoice_id: int
    number: str
    attempt: int
    customer_id: int
    amount: Money
    description: str

    @property
    def key(self) -> str:
        return charge_key(number=self.number, attempt=self.attempt)


@dataclass(frozen=True)
class Sent:
    """What payments answered for a charge. `status` is a PaymentStatus, or "error" when our
    side broke before an answer (the invoice then stays PROCESSING, to be sent again)."""

    charge: Charge
    attempt_id: int | None
    status: str
    code: str = ""
    message: str = ""


@dataclass
class Tally:
    paid: int = 0
    failed: int = 0
    pending: int = 0
    errors: int = 0
    uncollectible: int = 0
    resent: int = 0
    action_required: int = 0
    followups: list[int] = field(default_factory=list)

    def add(self, other: "Tally") -> None:
        self.paid += other.paid
        self.failed += other.failed
        self.pending += other.pending
        self.errors += other.errors
        self.uncollectible += other.uncollectible
        self.resent += other.resent
        self.action_required += other.action_required
        self.followups.extend(other.followups)


def charge_of(invoice: Invoice) -> Charge:
    """The charge for an invoice's reserved attempt."""
    return Charge(
        invoice_id=invoice.pk,
        number=invoice.number,
        attempt=invoice.attempt_count,
        customer_id=invoice.customer_id,
        amount=invoice.total,
        description=f"Invoice {invoice.number}",
    )


def attempt_reserve(*, invoice: Invoice, source: str, now: datetime) -> None:
    """Make the next attempt the invoice's, on a row locked in the caller's transaction."""
    invoice.attempt_count += 1
    invoice.attempt_source = source
    invoice.attempt_reserved_at = now
    invoice.payment_state = PaymentState.PROCESSING
    invoice.save(
        update_fields=["attempt_count", "attempt_source", "attempt_reserved_at", "payment_state"]
    )


# --- Sending ---------------------------------------------------------------------------------


@contextmanager
def charging_locks(invoice_ids: list[int]) -> Iterator[set[int]]:
    """The ids of `invoice_ids` this process may send now; held until the block ends.

    PostgreSQL: a session advisory lock per invoice, taken without waiting, released at the end
    or when the connection dies. SQLite has one writer and no such locks: every id (a second
    process sending the same key would get payments' answer to the first, never a charge).
    """
    if connection.vendor != "postgresql" or not invoice_ids:
        yield set(invoice_ids)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM unnest(%s::bigint[]) AS id WHERE pg_try_advisory_lock(%s + id)",
            [invoice_ids, _LOCK_NAMESPACE],
        )
        mine = {row[0] for row in cursor.fetchall()}
    try:
        yield mine
    finally:
        if mine:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_unlock(%s + id) FROM unnest(%s::bigint[]) AS id",
                    [_LOCK_NAMESPACE, sorted(mine)],
                )


def _sent_of(charge: Charge, outcome: CollectOutcome) -> Sent:
    if outcome.attempt is not None:
        attempt = outcome.attempt
        return Sent(charge, attempt.pk, attempt.status, attempt.code, attempt.message)
    refused = outcome.error
    if refused is not None and refused.code in _REFUSALS_AS_FAILURES:
        return Sent(charge, None, PaymentStatus.FAILED, refused.code, refused.message)
    _report_charge_error(charge, refused or RuntimeError("no attempt and no error"))
    return Sent(charge, None, "error", "error", str(refused)[:255])


def charges_send(charges: list[Charge]) -> list[Sent]:
    """Send reserved attempts through payments as one batch (outside any transaction)."""
    try:
        outcomes = payment_collect_many(
            requests=[
                CollectRequest(
                    customer_id=charge.customer_id,
                    amount=charge.amount,
                    idempotency_key=charge.key,
                    description=charge.description,
                    reference=charge.number,
                )
                for charge in charges
            ]
        )
    except Exception as error:
        # The batch never reached an answer: its invoices stay PROCESSING, sent again later
        # with the same keys.
        for charge in charges:
            _report_charge_error(charge, error)
        return [Sent(charge, None, "error", "error", str(error)[:255]) for charge in charges]
    return [_sent_of(c, o) for c, o in zip(charges, outcomes, strict=True)]


def _report_charge_error(charge: Charge, error: Exception) -> None:
    report_failure(
        reason="invoice_charge_error",
        user_message=f"Charging invoice {charge.number} (attempt {charge.attempt}) failed",
        error=error,
        customer_id=charge.customer_id,
        context={"invoice": charge.number, "attempt": charge.attempt},
    )


def charges_run(charges: list[Charge], *, now: datetime | None = None) -> Tally:
    """Send every charge this process may send, then apply the answers in one transaction."""
    if not charges:
        return Tally()
    with charging_locks([charge.invoice_id for charge in charges]) as mine:
        sent = charges_send([charge for charge in charges if charge.invoice_id in mine])
        return outcomes_apply(sent, now=now)


def invoices_processing_resume(*, batch_size: int) -> Tally:
    """Send again every invoice left PROCESSING (a process died before recording the answer),
    with its reserved key, once each in id order."""
    total = Tally()
    last_id = 0
    while True:
        invoices = list(
            Invoice.objects.filter(
                clock.customer_scope("customer"),
                payment_state=PaymentState.PROCESSING,
                status__in=PAYABLE_STATUSES,
                pk__gt=last_id,
            ).order_by("pk")[:batch_size]
        )
        if not invoices:
            return total
        last_id = invoices[-1].pk
        tally = charges_run([charge_of(invoice) for invoice in invoices])
        total.add(tally)


# --- Applying what happened ------------------------------------------------------------------

_INVOICE_OUTCOME_FIELDS = [
    "attempt_count",
    "attempt_reserved_at",
    "status",
    "payment_state",
    "last_payment_code",
    "last_payment_message",
    "paid_at",
    "paid_attempt",
    "first_failed_at",
    "dunning_retries",
    "next_retry_at",
    "retry_stopped",
    "uncollectible_at",
    "followup_due",
]


# What applying an outcome reads of an invoice (the rest of the row is not loaded).
_OUTCOME_READ_FIELDS = [
    *_INVOICE_OUTCOME_FIELDS,
    "customer",
    "subscription",
    "number",
    "currency",
    "total_minor",
    "is_first",
    "attempt_source",
]


@dataclass
class _Effects:
    """What a batch of outcomes does beyond its invoices."""

    audit: list[AuditRow] = field(default_factory=list)
    paid_subscriptions: set[int] = field(default_factory=set)
    overdue_subscriptions: set[int] = field(default_factory=set)
    first_paid: list[Invoice] = field(default_factory=list)
    paid: list[Invoice] = field(default_factory=list)
    first_failed: list[Invoice] = field(default_factory=list)
    # Each failing customer's usual hour of successful payment (retry_timing.preferred_hours).
    usual_hours: dict[int, int] = field(default_factory=dict)
    # Each failing customer's dunning holds (dunning_holds.py), and the invoices they held.
    holds: dict[int, list[str]] = field(default_factory=dict)
    held: list[Invoice] = field(default_factory=list)


def _apply_one(invoice: Invoice, sent: Sent, status: str, now: datetime, effects: _Effects) -> str:
    """Move one locked invoice for its attempt's status; returns the new payment state."""
    state = _STATE_OF_PAYMENT[PaymentStatus(status)]
    invoice.payment_state = state
    label = f"attempt {invoice.attempt_count} ({invoice.get_attempt_source_display().lower()})"
    if state == PaymentState.SUCCEEDED:
        invoice.move_to(InvoiceStatus.PAID)
        invoice.paid_at, invoice.paid_attempt_id, invoice.next_retry_at = now, sent.attempt_id, None
        invoice.last_payment_code = invoice.last_payment_message = ""
        invoice.retry_stopped = RetryStop.NONE
        invoice.followup_due = True
        effects.paid_subscriptions.add(invoice.subscription_id)
        effects.paid.append(invoice)
        if invoice.is_first:
            effects.first_paid.append(invoice)
        effects.audit.append(
            events.invoice_paid_row(
                invoice=invoice, previous_status=sent_status_before(invoice), attempt=label
            )
        )
    elif state in PAYMENT_FAILED or state == PaymentState.ACTION_REQUIRED:
        was_open = invoice.status == InvoiceStatus.OPEN
        invoice.last_payment_code = sent.code[:64]
        invoice.last_payment_message = (sent.message or "The payment did not go through.")[:255]
        # Waiting for the customer's confirmation is no failure: dunning's clock and schedule
        # run, but its days send reminders, not retries (authentication.py).
        action = state == PaymentState.ACTION_REQUIRED
        hard = not action and is_hard(sent.code)
        held = not invoice.is_first and invoice.customer_id in effects.holds
        hour = effects.usual_hours.get(invoice.customer_id)
        dunning_after_failure(invoice, now, hard=hard, hour=hour, held=held)
        invoice.followup_due = True
        if invoice.is_first and not action:
            effects.first_failed.append(invoice)
        effects.audit.append(
            events.invoice_action_required_row(invoice=invoice, attempt=label)
            if action
            else events.invoice_payment_failed_row(
                invoice=invoice,
                state=state,
                code=sent.code,
                attempt=label,
                usual_hour=effects.usual_hours.get(invoice.customer_id),
            )
        )
        if hard:
            effects.audit.append(events.invoice_retries_stopped_row(invoice=invoice))
        if invoice.retry_stopped == RetryStop.MANAGER_DECISION:
            effects.held.append(invoice)
            effects.audit.append(dunning_holds.dunning_held_row(invoice, effects.holds))
        if was_open and invoice.status == InvoiceStatus.UNCOLLECTIBLE:
            effects.overdue_subscriptions.add(invoice.subscription_id)
            effects.audit.append(events.invoice_uncollectible_row(invoice=invoice))
    else:
        effects.audit.append(
            events.invoice_payment_pending_row(invoice=invoice, state=state, attempt=label)
        )
    return state


def sent_status_before(invoice: Invoice) -> str:
    """The status an invoice had before it was paid (open, or uncollectible if dunning gave up)."""
    return InvoiceStatus.UNCOLLECTIBLE if invoice.uncollectible_at else InvoiceStatus.OPEN


def outcomes_apply(sent: list[Sent], *, now: datetime | None = None) -> Tally:
    """Apply payments' answers to their invoices, in one transaction; returns what happened.

    Idempotent and safe against races: each invoice is locked and only moved if the answer is
    for its current attempt and that attempt is still in flight; the attempt's status is read
    from payments' own row, so the latest truth wins whoever applies it.
    """
    now = now or clock.now()
    tally = Tally(errors=sum(1 for s in sent if s.status == "error"))
    answered = [s for s in sent if s.status != "error"]
    if not answered:
        return tally
    with transaction.atomic():
        invoices = {
            invoice.pk: invoice
            for invoice in Invoice.objects.select_for_update()
            .filter(pk__in=[s.charge.invoice_id for s in answered])
            .only(*_OUTCOME_READ_FIELDS)
        }
        recorded = {
            pk: (status, code)
            for pk, status, code in PaymentAttempt.objects.filter(
                pk__in=[s.attempt_id for s in answered if s.attempt_id]
            ).values_list("pk", "status", "code")
        }
        never_received = (
            never_received_counts([s.charge.number for s in answered])
            if any(code == NOT_RECEIVED for _, code in recorded.values())
            else Counter()
        )
        failing = {
            invoices[item.charge.invoice_id].customer_id
            for item in answered
            if item.charge.invoice_id in invoices
            and recorded.get(item.attempt_id, (item.status,))[0]
            in (PaymentStatus.DECLINED, PaymentStatus.FAILED)
        }
        # One query for the usual hour of every customer whose attempt failed (retry_timing.py).
        effects = _Effects(
            usual_hours=preferred_hours(customer_ids=failing, now=now),
            holds=dunning_holds.hold_reasons(customer_ids=failing),
        )
        rows, resends = [], []
        for item in answered:
            invoice = invoices.get(item.charge.invoice_id)
            status, code = recorded.get(item.attempt_id, (item.status, item.code))
            if (
                invoice is None
                or invoice.attempt_count != item.charge.attempt
                or invoice.payment_state not in _AWAITING_ANSWER
                or invoice.status not in PAYABLE_STATUSES
            ):
                continue  # an answer for an earlier attempt, or applied already
            if invoice.payment_state in (PaymentState.PENDING, PaymentState.ACTION_REQUIRED) and (
                _STATE_OF_PAYMENT[PaymentStatus(status)] == invoice.payment_state
            ):
                tally.pending += invoice.payment_state == PaymentState.PENDING
                continue  # still unknown, or still waiting for the customer: nothing new
            if status == PaymentStatus.FAILED and code == NOT_RECEIVED:
                lost = never_received[invoice.number]
                if resend_allowed(lost):
                    effects.audit.append(resend_reserve(invoice, now=now))
                    resends.append(charge_of(invoice))
                    rows.append(_outcome_row(invoice))
                    continue  # not a failure: nothing to tell, no dunning
                resends_exhausted_alert(invoice, never_received=lost)
            state = _apply_one(invoice, item, status, now, effects)
            tally.paid += state == PaymentState.SUCCEEDED
            tally.failed += state in PAYMENT_FAILED
            tally.pending += state == PaymentState.PENDING
            tally.action_required += state == PaymentState.ACTION_REQUIRED
            tally.uncollectible += invoice.status == InvoiceStatus.UNCOLLECTIBLE
            if invoice.followup_due:
                tally.followups.append(invoice.pk)
            rows.append(_outcome_row(invoice))
        rows_update(Invoice, _INVOICE_OUTCOME_FIELDS, rows)
        _subscriptions_follow(effects, now)
        # A proration invoice's outcome applies or declines its plan change (plan_settle.py).
        plan_changes_follow(invoice_ids=[pk for *_, pk in rows], now=now)
        audit_rows_write(effects.audit)
        dunning_holds.dunning_decisions_ask(effects.held, reasons=effects.holds)
        _journeys_follow(effects)
        # A paid invoice answers the alerts about its earlier failed payments.
        admin_alerts_resolve_many(
            success="invoice_paid",
            succeeded=[
                Succeeded(
                    customer_id=invoice.customer_id,
                    target=invoice,
                    because=f"invoice {invoice.number} was paid (attempt {invoice.attempt_count}).",
                )
                for invoice in effects.paid
            ],
        )
        if resends:
            # Sent once this commits: the reserved attempt must be committed before payments
            # records it and the gateway hears of it. If it fails, the invoice stays PROCESSING.
            transaction.on_commit(functools.partial(charges_run, resends), robust=True)
            tally.resent = len(resends)
    return tally


_HARD_DECLINE_END = "the card was hard-declined and no new card came by the end of dunning"


def invoices_give_up(
    invoices: list[Invoice], *, now: datetime, because: str = _HARD_DECLINE_END, actor=None
) -> None:
    """Make open invoices, locked in the caller's transaction, uncollectible without another
    attempt (a hard decline nobody answered with a new card, a payment the customer never
    confirmed, or a manager's decision), their subscriptions past due."""
    effects = _Effects()
    for invoice in invoices:
        invoice.move_to(InvoiceStatus.UNCOLLECTIBLE)
        invoice.uncollectible_at = now
        invoice.save(update_fields=["status", "uncollectible_at"])
        effects.overdue_subscriptions.add(invoice.subscription_id)
        effects.audit.append(events.invoice_uncollectible_row(invoice=invoice, because=because))
    _subscriptions_follow(effects, now)
    audit_rows_write(effects.audit, actor=actor)


def _outcome_row(invoice: Invoice) -> tuple:
    return (*(getattr(invoice, _attname(name)) for name in _INVOICE_OUTCOME_FIELDS), invoice.pk)


def _attname(name: str) -> str:
    return Invoice._meta.get_field(name).attname


def _subscriptions_follow(effects: _Effects, now: datetime) -> None:
    """Paid: the subscription is active (unless another invoice of it is uncollectible), and its
    first payment is published. Uncollectible: the subscription is past due."""
    if effects.paid_subscriptions:
        still_owing = set(
            Invoice.objects.filter(
                subscription_id__in=effects.paid_subscriptions, status=InvoiceStatus.UNCOLLECTIBLE
            ).values_list("subscription_id", flat=True)
        )
        _subscriptions_move(
            ids=effects.paid_subscriptions - still_owing,
            to=SubscriptionStatus.ACTIVE,
            row=events.subscription_activated_row,
        )
        first = list(
            Subscription.objects.filter(
                pk__in=effects.paid_subscriptions, first_paid_at__isnull=True
            ).values_list("pk", flat=True)
        )
        if first:
            Subscription.objects.filter(pk__in=first).update(first_paid_at=now)
            paid_by_subscription = {invoice.subscription_id: invoice for invoice in effects.paid}
            for subscription_id in first:
                _first_paid_publish(invoice=paid_by_subscription[subscription_id], now=now)
    if effects.overdue_subscriptions:
        _subscriptions_move(
            ids=effects.overdue_subscriptions,
            to=SubscriptionStatus.PAST_DUE,
            row=events.subscription_past_due_row,
        )


def _first_paid_publish(*, invoice: Invoice, now: datetime) -> None:
    """Tell the apps above (contracts issue the first contract) that a subscription's first
    invoice is paid; one message per subscription, whoever applies the payment."""
    outbox_publish(
        topic=INVOICE_FIRST_PAID_TOPIC,
        payload={
            "subscription_id": invoice.subscription_id,
            "invoice_id": invoice.pk,
            "invoice_number": invoice.number,
            "customer_id": invoice.customer_id,
            "paid_at": now.isoformat(),
        },
        dedupe_key=f"invoice-first-paid:{invoice.subscription_id}",
    )


def _subscriptions_move(*, ids: Iterable[int], to: str, row: Callable[..., AuditRow]) -> None:
    """Move the subscriptions that may go `to`; `row` is the event of the move (events.py)."""
    movable = [status for status, allowed in SUBSCRIPTION_MOVES.items() if to in allowed]
    moving = list(
        Subscription.objects.select_for_update()
        .filter(pk__in=list(ids), status__in=movable)
        .values_list("pk", "status", "customer_id")
    )
    if not moving:
        return
    Subscription.objects.filter(pk__in=[pk for pk, _, _ in moving]).update(status=to)
    audit_rows_write(
        [
            row(subscription_id=pk, customer_id=customer_id, previous_status=status)
            for pk, status, customer_id in moving
        ]
    )


def _journeys_follow(effects: _Effects) -> None:
    """A subscription's first invoice is the journey's first payment, paid or failed."""
    for invoice in effects.first_paid:
        journey_step_complete(customer=invoice.customer, step=Step.FIRST_PAYMENT)
    for invoice in effects.first_failed:
        journey_step_fail(
            customer=invoice.customer,
            step=Step.FIRST_PAYMENT,
            reason=f"Invoice {invoice.number}: {invoice.last_payment_message}",
        )
