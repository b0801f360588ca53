"""Invoices waiting for the customer's authentication (SCA): confirming, and reminding.

When the bank asks the customer to confirm a charge, the invoice is "action required"
(charging.py records it like a failure for dunning's clock, but nothing re-charges it: dunning
retries only failed invoices). The follow-up sends the customer, in the preferred inbox and by
email, a link to the invoice's confirmation page (followups.py); the link holds no secret: the
page is for the signed-in customer of the invoice only.

- `invoice_action_confirm`: the customer's answer on that page goes to payments
  (`payment_action_complete`), and what the attempt became is applied to the invoice by the
  same path as every later settle (`services.invoice_payment_settled`): paid, with the
  subscription, contract flow and journey that follow, or declined into dunning. Cancelled (or
  refused by the bank's check) it stays action required.
- Reminders instead of retries on dunning's days, then uncollectible and the seed's "payment
  incomplete" alert: action_reminders.py.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext, gettext_lazy

from onboarding.accounts.models import User
from onboarding.billing import events
from onboarding.billing.charging import charge_key
from onboarding.billing.models import PAYABLE_STATUSES, Invoice, PaymentState
from onboarding.billing.services import invoice_payment_settled
from onboarding.core.errors import Conflict, NotFound
from onboarding.payments.authentication import payment_action_complete, payment_action_start
from onboarding.payments.gateways.base import ActionStart
from onboarding.payments.models import PaymentAttempt, PaymentStatus

NOT_WAITING = gettext_lazy("This payment is not waiting for your confirmation.")


def invoice_for_confirmation(*, user: User, invoice_id: int) -> Invoice:
    """An invoice of `user`'s own, for its confirmation page: NotFound for anyone else's (staff
    included: only the customer can confirm their payment with their bank)."""
    invoice = (
        Invoice.objects.finalized()
        .select_related("customer__user")
        .filter(pk=invoice_id, customer__user=user)
        .first()
    )
    if invoice is None:
        raise NotFound(gettext("There is no such invoice."))
    return invoice


def invoice_waiting_attempt(*, invoice: Invoice) -> PaymentAttempt:
    """The attempt of the invoice that waits for the customer; Conflict when none does."""
    attempt = None
    if invoice.payment_state == PaymentState.ACTION_REQUIRED:
        attempt = PaymentAttempt.objects.filter(
            idempotency_key=charge_key(number=invoice.number, attempt=invoice.attempt_count),
            status=PaymentStatus.REQUIRES_ACTION,
        ).first()
    if attempt is None or invoice.status not in PAYABLE_STATUSES:
        raise Conflict(str(NOT_WAITING))
    return attempt


@dataclass(frozen=True)
class ConfirmationStep:
    invoice: Invoice
    attempt: PaymentAttempt
    start: ActionStart


def invoice_confirmation_start(*, invoice: Invoice) -> ConfirmationStep:
    """What the confirmation page shows: the invoice, its waiting attempt and what the
    gateway's confirmation step needs (Stripe's client secret: shown, never stored)."""
    attempt = invoice_waiting_attempt(invoice=invoice)
    return ConfirmationStep(invoice, attempt, payment_action_start(attempt=attempt))


def invoice_action_confirm(*, invoice: Invoice, actor: User, approve: bool) -> Invoice:
    """The customer answered the confirmation step; returns the invoice as it now stands (paid,
    still action required, or declined into dunning). Audited on the attempt (payments) and the
    invoice. Call it outside any transaction (the gateway is asked first)."""
    attempt = invoice_waiting_attempt(invoice=invoice)
    settled, answered = payment_action_complete(attempt=attempt, actor=actor, approve=approve)
    with transaction.atomic():
        if answered:
            events.invoice_action_answered(
                actor=actor, invoice=invoice, attempt_status=settled.status
            )
        if settled.status != PaymentStatus.REQUIRES_ACTION:
            # The same application as the reconciler's or the webhook's settle, at once (the
            # outbox's copy then finds it applied and changes nothing).
            invoice_payment_settled(attempt_id=settled.pk)
    invoice.refresh_from_db()
    return invoice
