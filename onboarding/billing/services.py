"""Billing's business actions: buying, changing the cycle, paying, refunding, voiding.

The machinery lives beside this module, one job per file: billrun.py (invoicing in batches),
charging.py (attempts, their keys and outcomes), dunning.py (retries), refunds.py (credit
notes), followups.py (PDFs and notices, in workers) and numbering.py (gap-free numbers). The
functions here are what pages, the API and other apps call; they queue the follow-up work.
An unexpected failure in one that a page or the API calls is reported at its boundary
(alerts.failures.failure_reported) with the notice defined here, in the same words on both.
"""

import dataclasses

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from onboarding.accounts.models import Customer, User
from onboarding.accounts.services import customer_currency_fix
from onboarding.alerts.failures import FailureNotice, failure_reported
from onboarding.alerts.services import admin_alert_raise, admin_alerts_resolve_for
from onboarding.billing import events, refunds, tasks
from onboarding.billing.charging import (
    Sent,
    attempt_reserve,
    charge_key,
    charge_of,
    charges_run,
    outcomes_apply,
)
from onboarding.billing.intent import BILLED
from onboarding.billing.models import (
    LIVE_STATUSES,
    PAYABLE_STATUSES,
    PAYMENT_IN_FLIGHT,
    AttemptSource,
    CreditNote,
    Invoice,
    InvoiceStatus,
    PaymentState,
    Subscription,
)
from onboarding.billing.selectors import invoice_needs_new_card
from onboarding.billing.taxes import purchase_tax, tax_missing_refused
from onboarding.catalog.models import Plan
from onboarding.catalog.selectors import CurrencyNotSold, currency_check, plan_price_for
from onboarding.core import clock
from onboarding.core.errors import Conflict, DomainError, NotFound
from onboarding.core.money import DEFAULT_CURRENCY, Money
from onboarding.journey.models import Step
from onboarding.journey.services import journey_step_complete
from onboarding.notifications.services import notification_send
from onboarding.payments.models import PaymentAttempt, PaymentStatus
from onboarding.payments.selectors import payment_method_active
from onboarding.worker.services import enqueue_on_commit

PURCHASE_FAILED = FailureNotice(
    "purchase_failed",
    gettext_lazy(
        "Your purchase could not be completed because of a problem on our side. "
        "You have not been charged, and our team has been told."
    ),
)
CYCLE_CHANGE_FAILED = FailureNotice(
    "cycle_change_failed",
    gettext_lazy(
        "Your billing cycle could not be changed because of a problem on our side. "
        "Nothing was changed, and our team has been told."
    ),
)
INVOICE_PAYMENT_FAILED = FailureNotice(
    "invoice_payment_failed",
    gettext_lazy(
        "Your payment could not be sent because of a problem on our side. You have not been "
        "charged, and our team has been told."
    ),
)
REFUND_FAILED = FailureNotice(
    "refund_failed",
    gettext_lazy(
        "The refund could not be completed because of a problem on our side; the team has been "
        "told. Nothing was paid out unless the invoice shows a credit note."
    ),
)


def _purchase_blockers(customer: Customer) -> None:
    missing = customer.missing_for_purchase
    if missing:
        labels = ", ".join(Customer._meta.get_field(name).verbose_name for name in missing)
        raise DomainError(
            gettext("Complete your billing address first: %(fields)s.") % {"fields": labels},
            field="profile",
        )
    if payment_method_active(customer=customer) is None:
        raise DomainError(gettext("Add a card before you buy."), field="payment_method")


def purchase_currency(*, customer: Customer, chosen: str | None) -> str:
    """The currency a purchase is in: the customer's, fixed at their first purchase; for a first
    purchase the one they chose (EUR if they did not). Another than their fixed one is refused."""
    if customer.currency:
        if chosen and chosen.strip().upper() != customer.currency:
            raise CurrencyNotSold(
                gettext("Your account pays in %(currency)s; it cannot change.")
                % {"currency": customer.currency},
                field="currency",
            )
        return customer.currency
    return currency_check(currency=chosen or DEFAULT_CURRENCY)


@failure_reported(PURCHASE_FAILED, target="customer", context=("plan", "cycle", "currency"))
@tax_missing_refused
@transaction.atomic
def subscription_purchase(
    *, customer: Customer, plan: Plan, cycle: str, actor: User, currency: str | None = None
) -> Subscription:
    """Buy `plan` billed per `cycle`; the subscription starts now, due for its first invoice.
    `currency`: what a first-time buyer chose (purchase_currency); a returning customer's is
    their own whatever they pass, or refused if they pass another."""
    currency = purchase_currency(customer=customer, chosen=currency)
    price = plan_price_for(plan=plan, cycle=cycle, currency=currency)
    # The caller's plan may come from the catalogue snapshot (up to a second old): the terms the
    # subscription keeps for good (on sale, the price in its currency) are read from the rows.
    plan = price.plan
    if not plan.is_active:
        raise NotFound(gettext("That plan does not exist or is no longer on sale."), field="plan")
    _purchase_blockers(customer)
    if Subscription.objects.filter(customer=customer, plan=plan, status__in=LIVE_STATUSES).exists():
        raise Conflict(gettext("You already have %(plan)s.") % {"plan": plan.name}, field="plan")
    now = clock.now()
    tax = purchase_tax(customer=customer, on=now.date())  # a gap in the rates table: refused
    customer_currency_fix(customer=customer, currency=currency, actor=actor)
    try:
        with transaction.atomic():
            subscription = Subscription.objects.create(
                customer=customer,
                plan=plan,
                cycle=cycle,
                amount_minor=price.amount_minor,
                currency=price.currency,
                tax_rate_bp=tax.rate_bp,
                purchased_at=now,
                billing_anchor=now,
                next_invoice_at=now,
            )
    except IntegrityError as exc:
        # A concurrent purchase of the same plan won the race: theirs is the subscription. Any
        # other refusal by the database is a failure on our side, not the customer's.
        if Subscription.objects.filter(
            customer=customer, plan=plan, status__in=LIVE_STATUSES
        ).exists():
            raise Conflict(
                gettext("You already have %(plan)s.") % {"plan": plan.name}, field="plan"
            ) from exc
        raise
    events.subscription_purchased(actor=actor, subscription=subscription)
    journey_step_complete(customer=customer, step=Step.CARD_AND_CYCLE)
    admin_alerts_resolve_for(
        success="purchase_done",
        customer_id=customer.pk,
        target=customer,
        because=f"{customer.reference} bought {plan.name} ({cycle}).",
        about={"plan": plan.slug},
    )
    notification_send(
        recipient=customer.user,
        kind="purchase_confirmed",
        subject=format_lazy(gettext_lazy("Your purchase of {plan}"), plan=plan.name),
        template="billing/email/purchase_confirmed",
        context={
            "subscription": subscription,
            "plan": plan,
            "customer": customer,
            "billed": BILLED[subscription.cycle],
            "site_url": settings.SITE_URL,
        },
        dedupe_key=f"purchase-confirmed:{subscription.pk}",
    )
    # The first invoice, issued and charged right after the purchase commits.
    enqueue_on_commit(
        tasks.subscription_bill_task,
        key=f"subscription-bill:{subscription.pk}",
        kwargs={"subscription_id": subscription.pk},
    )
    return subscription


@failure_reported(CYCLE_CHANGE_FAILED, target="subscription")
@transaction.atomic
def subscription_change_cycle(
    *, subscription: Subscription, cycle: str, actor: User
) -> Subscription:
    """Choose another billing cycle; it takes effect when the next period starts."""
    subscription = (
        Subscription.objects.select_for_update().select_related("plan").get(pk=subscription.pk)
    )
    if subscription.status not in LIVE_STATUSES:
        raise Conflict(
            gettext("A cancelled subscription's billing cycle cannot change."), field="cycle"
        )
    # Refuses a cycle the plan is not sold with in the subscription's currency.
    plan_price_for(plan=subscription.plan, cycle=cycle, currency=subscription.currency)
    before = subscription.pending_cycle or subscription.cycle
    subscription.pending_cycle = "" if cycle == subscription.cycle else cycle
    if before == cycle:
        return subscription
    subscription.save(update_fields=["pending_cycle"])
    events.subscription_cycle_changed(
        actor=actor, subscription=subscription, previous_cycle=before, cycle=cycle
    )
    return subscription


# --- Invoices ------------------------------------------------------------------------------------


def _follow_up(invoice_id: int) -> None:
    """Queue the invoice's PDF and notices for a worker, after the current transaction."""
    enqueue_on_commit(
        tasks.invoice_follow_up_task,
        key=f"invoice-follow-up:{invoice_id}",
        kwargs={"invoice_id": invoice_id},
    )


class NewCardNeeded(DomainError):
    """Pay now on an invoice whose card was hard-declined, with that card still on file."""

    code = "new_card_needed"


@failure_reported(INVOICE_PAYMENT_FAILED, target="invoice")
def invoice_pay(*, invoice: Invoice, actor: User) -> Invoice:
    """The customer pays an open (or uncollectible) invoice now with the card on file.

    Reserves the next attempt with the invoice locked, so two clicks cannot send two attempts;
    the outcome is on the returned invoice (paid, declined or failed with the reason, or a
    pending payment the payments reconciler settles later). Refuses (NewCardNeeded, nothing
    sent) while the card on file is the one the bank hard-declined for this invoice.
    """
    with transaction.atomic():
        locked = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("customer__user")
            .get(pk=invoice.pk)
        )
        if locked.status not in PAYABLE_STATUSES:
            raise Conflict(
                gettext("This invoice is %(status)s: there is nothing to pay.")
                % {"status": locked.get_status_display().lower()}
            )
        if locked.payment_state in PAYMENT_IN_FLIGHT:
            raise Conflict(
                gettext(
                    "Your payment is already being processed. You will not be charged twice; "
                    "this page shows the result as soon as it is known."
                )
            )
        if locked.payment_state == PaymentState.ACTION_REQUIRED:
            raise Conflict(
                gettext(
                    "Your bank asks you to confirm this payment: confirm it on its page rather "
                    "than paying again."
                )
            )
        card = payment_method_active(customer=locked.customer)
        if card is None:
            raise DomainError(gettext("Add a card before you pay."), field="payment_method")
        if invoice_needs_new_card(invoice=locked, card=card):
            raise NewCardNeeded(
                gettext(
                    "Your bank said the card ending %(last4)s cannot be used again, so we have "
                    "not charged it. Please add a new card first: we charge this invoice on it as "
                    "soon as it is saved."
                )
                % {"last4": card.last4},
                field="payment_method",
            )
        attempt_reserve(invoice=locked, source=AttemptSource.CUSTOMER, now=clock.now())
        events.invoice_payment_requested(actor=actor, invoice=locked)
    charges_run([charge_of(locked)])
    _follow_up(locked.pk)
    return Invoice.objects.select_related("customer__user").get(pk=locked.pk)


def _attempt_sent_with(invoice: Invoice, key: str) -> int | None:
    """Which of the invoice's attempts was sent with `key`: billing made every such key."""
    return next(
        (
            attempt
            for attempt in range(invoice.attempt_count, 0, -1)
            if charge_key(number=invoice.number, attempt=attempt) == key
        ),
        None,
    )


def invoice_payment_settled(*, attempt_id: int) -> Invoice | None:
    """Payments settled an attempt later (their reconciler publishes `payment.settled`, which
    billing's subscriber hands here): apply it to its invoice. Idempotent.

    Runs in the caller's transaction. Returns the invoice, or None for an attempt that is not an
    invoice's. A payment that went through for an attempt its invoice no longer waits for (paid
    meanwhile, or void) raises an admin alert: that money needs a person.
    """
    attempt = PaymentAttempt.objects.filter(pk=attempt_id).first()
    if attempt is None or not attempt.invoice_reference:
        return None
    invoice = (
        Invoice.objects.select_related("customer__user")
        .filter(number=attempt.invoice_reference)
        .first()
    )
    number = _attempt_sent_with(invoice, attempt.idempotency_key) if invoice else None
    if invoice is None or number is None:
        return None
    sent = Sent(
        charge=dataclasses.replace(charge_of(invoice), attempt=number),
        attempt_id=attempt.pk,
        status=attempt.status,
        code=attempt.code,
        message=attempt.message,
    )
    with transaction.atomic():
        tally = outcomes_apply([sent])
        invoice.refresh_from_db()
        if (
            attempt.status == PaymentStatus.SUCCEEDED
            and not tally.paid
            and invoice.paid_attempt_id != attempt.pk
        ):
            _payment_unmatched_alert(attempt=attempt, invoice=invoice)
        if tally.followups:
            _follow_up(invoice.pk)
    return invoice


def _payment_unmatched_alert(*, attempt: PaymentAttempt, invoice: Invoice) -> None:
    """A payment went through for an attempt its invoice no longer waits for: money to check."""
    admin_alert_raise(
        reason="payment_unmatched",
        message=(
            f"Payment {attempt.pk} of {attempt.amount} went through for invoice {invoice.number}, "
            f"which is {invoice.get_status_display().lower()} "
            f"(attempt {invoice.attempt_count} is its current one). Refund or match it by hand."
        ),
        target=invoice,
        customer_id=invoice.customer_id,
        context={"attempt": attempt.pk, "key": attempt.idempotency_key},
    )


def invoice_void(*, invoice: Invoice, actor: User, reason: str) -> Invoice:
    """Staff cancel an invoice that should never have been issued (nothing was paid on it)."""
    reason = " ".join((reason or "").split())
    if not 3 <= len(reason) <= 500:
        raise DomainError(gettext("Say why, in 3 to 500 characters."), field="reason")
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.payment_state in PAYMENT_IN_FLIGHT:
            raise Conflict(
                gettext("A payment of this invoice is in progress; it cannot be voided now.")
            )

        before = locked.status
        locked.move_to(InvoiceStatus.VOID)
        locked.voided_at, locked.next_retry_at = clock.now(), None
        locked.save(update_fields=["status", "voided_at", "next_retry_at"])
        events.invoice_voided(actor=actor, invoice=locked, previous_status=before, reason=reason)
    return locked


@failure_reported(REFUND_FAILED, target="invoice")
def invoice_refund(
    *, invoice: Invoice, actor: User, amount: Money | None = None, reason: str
) -> CreditNote:
    """Staff give back all (amount None) or part of a paid invoice through the gateway; returns
    the numbered credit note, whose PDF and notice follow from a worker."""
    credit_note = refunds.invoice_refund(invoice=invoice, actor=actor, amount=amount, reason=reason)
    enqueue_on_commit(
        tasks.credit_note_follow_up_task,
        key=f"credit-note-follow-up:{credit_note.pk}",
        kwargs={"credit_note_id": credit_note.pk},
    )
    return credit_note
