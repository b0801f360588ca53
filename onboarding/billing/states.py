"""Billing's state machines: each status, its allowed moves, and the sets pages and queries use.

One place for every move a subscription, invoice or credit note may make; the models' move_to
refuses anything else (onboarding.core.transitions).
"""

from django.db import models
from django.utils.translation import pgettext_lazy


class SubscriptionStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("subscription status", "Awaiting first payment")
    ACTIVE = "active", pgettext_lazy("subscription status", "Active")
    PAST_DUE = "past_due", pgettext_lazy("subscription status", "Past due")
    CANCELLED = "cancelled", pgettext_lazy("subscription status", "Cancelled")


# Every allowed move, in one place; anything else is refused.
SUBSCRIPTION_MOVES = {
    SubscriptionStatus.PENDING: {
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.PAST_DUE,
        SubscriptionStatus.CANCELLED,
    },
    SubscriptionStatus.ACTIVE: {SubscriptionStatus.PAST_DUE, SubscriptionStatus.CANCELLED},
    SubscriptionStatus.PAST_DUE: {SubscriptionStatus.ACTIVE, SubscriptionStatus.CANCELLED},
    SubscriptionStatus.CANCELLED: set(),
}
LIVE_STATUSES = (SubscriptionStatus.PENDING, SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("invoice status", "Draft")
    OPEN = "open", pgettext_lazy("invoice status", "Open")
    PAID = "paid", pgettext_lazy("invoice status", "Paid")
    VOID = "void", pgettext_lazy("invoice status", "Void")
    UNCOLLECTIBLE = "uncollectible", pgettext_lazy("invoice status", "Uncollectible")


# Every allowed move, in one place; anything else is refused. An uncollectible invoice can still
# be paid (a late payment, or the customer paying from the portal).
INVOICE_MOVES: dict[str, frozenset[str]] = {
    InvoiceStatus.DRAFT: frozenset({InvoiceStatus.OPEN, InvoiceStatus.VOID}),
    InvoiceStatus.OPEN: frozenset(
        {InvoiceStatus.PAID, InvoiceStatus.VOID, InvoiceStatus.UNCOLLECTIBLE}
    ),
    InvoiceStatus.UNCOLLECTIBLE: frozenset({InvoiceStatus.PAID, InvoiceStatus.VOID}),
    InvoiceStatus.PAID: frozenset(),
    InvoiceStatus.VOID: frozenset(),
}
# Invoices a customer can still pay.
PAYABLE_STATUSES = (InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE)


class PaymentState(models.TextChoices):
    """Where the invoice's latest charge attempt stands."""

    NONE = "none", pgettext_lazy("payment state", "Not charged yet")
    # An attempt number is reserved and the charge is being sent (or was, by a process that
    # died): sending it again with the same key is safe.
    PROCESSING = "processing", pgettext_lazy("payment state", "Charging")
    # The gateway's answer was lost: the payments reconciler settles it later.
    PENDING = "pending", pgettext_lazy("payment state", "Payment pending")
    SUCCEEDED = "succeeded", pgettext_lazy("payment state", "Paid")
    DECLINED = "declined", pgettext_lazy("payment state", "Declined")
    FAILED = "failed", pgettext_lazy("payment state", "Failed")
    # The bank asks the customer to confirm the charge (SCA): not failed; dunning sends
    # reminders on its schedule instead of retries until they confirm (authentication.py).
    ACTION_REQUIRED = "action_required", pgettext_lazy("payment state", "Action required")


PAYMENT_IN_FLIGHT = (PaymentState.PROCESSING, PaymentState.PENDING)
PAYMENT_FAILED = (PaymentState.DECLINED, PaymentState.FAILED)


class AttemptSource(models.TextChoices):
    ISSUE = "issue", "When issued"
    RETRY = "retry", "Dunning retry"
    CUSTOMER = "customer", "Paid by the customer"
    # The customer put a new card on file: the open invoice is charged on it at once.
    NEW_CARD = "new_card", "New card"


class RetryStop(models.TextChoices):
    """Why dunning stopped retrying an open invoice ("" while it retries, or never failed)."""

    NONE = "", "Retrying on the schedule"
    # The bank said the card can never work again (payments/declines.py): no retry until the
    # customer puts a new card on file.
    HARD_DECLINE = "hard_decline", "Hard decline: waiting for a new card"
    # The schedule ended while the customer's service is in trouble (a red acceptance, an open
    # high or critical request: a DunningHold): a manager decides between past due and more time
    # (dunning_holds.py).
    MANAGER_DECISION = "manager_decision", "Waiting for a manager's decision"


class HoldSource(models.TextChoices):
    """What holds a customer's dunning back from past due (dunning_holds.py)."""

    ACCEPTANCE = "acceptance", "Acceptance is red"
    REQUEST = "request", "Open high-severity request"


class DunningDecision(models.TextChoices):
    """A manager's answer to an invoice whose dunning waits for one."""

    PAST_DUE = "past_due", "Past due now"
    EXTEND = "extend", "Give more time"


class CreditNoteStatus(models.TextChoices):
    # Reserved while the refund is sent to the gateway; numbered only once it went through.
    DRAFT = "draft", pgettext_lazy("credit note status", "Draft")
    ISSUED = "issued", pgettext_lazy("credit note status", "Issued")
    CANCELLED = "cancelled", pgettext_lazy("credit note status", "Cancelled")


CREDIT_NOTE_MOVES: dict[str, frozenset[str]] = {
    CreditNoteStatus.DRAFT: frozenset({CreditNoteStatus.ISSUED, CreditNoteStatus.CANCELLED}),
    CreditNoteStatus.ISSUED: frozenset(),
    CreditNoteStatus.CANCELLED: frozenset(),
}


INVOICE_BADGES = {
    InvoiceStatus.DRAFT: "",
    InvoiceStatus.OPEN: "open",
    InvoiceStatus.PAID: "green",
    InvoiceStatus.VOID: "",
    InvoiceStatus.UNCOLLECTIBLE: "red",
}
