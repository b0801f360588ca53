"""Writes for cards on file: add, replace, and the reminder that a card expires.

The card number is handed to the gateway at once and forgotten. The gateway call happens before
the database transaction: a slow provider never holds a lock, and a refusal leaves nothing behind
but its audit entry, the journey's failed step and an admin alert (every card failure is one a
person may need to follow up). A failure of ours while putting a card on file is reported at the
service's boundary (alerts.failures.failure_reported) with the notice defined here.
"""

import datetime as dt
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from onboarding.accounts.models import Customer, User
from onboarding.alerts.failures import FailureNotice, failure_reported, report_failure
from onboarding.alerts.services import admin_alerts_resolve_for
from onboarding.core import clock
from onboarding.core.errors import DomainError
from onboarding.journey.models import Step
from onboarding.journey.services import journey_step_fail
from onboarding.notifications.services import notification_send, outbox_publish
from onboarding.payments import events
from onboarding.payments.decline_texts import customer_text
from onboarding.payments.gateways import get_gateway
from onboarding.payments.gateways.base import (
    CardDetails,
    CardToken,
    GatewayError,
    GatewayTimeout,
    SetupActionRequired,
)
from onboarding.payments.models import PaymentMethod, PaymentMethodStatus
from onboarding.payments.selectors import cards_expiring_soon, payment_method_active

CARD_FAILED = FailureNotice(
    "card_update_failed",
    gettext_lazy(
        "Your card could not be saved because of a problem on our side. "
        "Nothing was charged, and our team has been told."
    ),
)
# The card page asks the gateway to start a setup before it can show Stripe's fields.
CARD_FORM_UNAVAILABLE = FailureNotice(
    "card_form_unavailable",
    gettext_lazy("The card form cannot be shown right now; our team has been told."),
)


# Published when a card replaces the one on file, or the card network renews the one on file, so
# billing charges a failed invoice on it at once (docs/events.md).
PAYMENT_METHOD_CHANGED_TOPIC = "payment_method.changed"


class CardRefused(DomainError):
    code = "card_refused"


class CardNeedsConfirmation(DomainError):
    """The card goes on file only once the customer confirms it with their bank
    (authentication.card_setup_confirm); `reference` names the setup waiting for it."""

    code = "card_needs_confirmation"

    def __init__(self, reference: str):
        super().__init__("Your bank asks you to confirm this card.", field="number")
        self.reference = reference


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
        events.card_add_failed(actor=actor, customer=customer, code=code, message=message)
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
        raise DomainError(gettext("Enter your card details."), field="number")
    return gateway.tokenize_card(card=card, customer_reference=reference)


@failure_reported(CARD_FAILED, target="customer")
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
        events.card_replace_refused(actor=actor, customer=customer)
        raise DomainError(
            gettext("Confirm your current password to replace the card."), field="password"
        )
    try:
        token = _tokenize(customer=customer, card=card, client_token=client_token)
    except SetupActionRequired as pending:
        events.card_setup_action_required(actor=actor, customer=customer)
        raise CardNeedsConfirmation(pending.reference) from pending
    except GatewayTimeout as exc:
        _card_failed(customer=customer, actor=actor, code=exc.code, message=exc.message)
        raise CardRefused(
            gettext(
                "The payment provider did not answer. Your card was not saved; try again shortly."
            )
        ) from exc

    except GatewayError as exc:
        _card_failed(customer=customer, actor=actor, code=exc.code, message=exc.message)
        # The audit keeps the gateway's English; the customer reads it in their language.
        message = customer_text(exc.code, exc.message)
        raise CardRefused(message, field=exc.field or "number", code=exc.code) from exc
    return _payment_method_store(customer=customer, actor=actor, token=token)


@transaction.atomic
def _payment_method_store(*, customer: Customer, actor: User, token: CardToken) -> PaymentMethod:
    now = clock.now()
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
    events.card_added(actor=actor, method=method, previous=previous)
    if previous is not None:
        outbox_publish(
            topic=PAYMENT_METHOD_CHANGED_TOPIC,
            payload={
                "customer_id": customer.pk,
                "payment_method_id": method.pk,
                "change": "replaced",
            },
            dedupe_key=f"payment-method-changed:{method.pk}",
        )
    admin_alerts_resolve_for(
        success="card_added",
        customer_id=customer.pk,
        target=customer,
        because=f"{method} was put on file for {customer.reference}.",
    )
    return method


# --- Expiring cards ---------------------------------------------------------------------------


def card_expiry_remind(*, method_id: int, now: datetime | None = None) -> bool:
    """Remind the card's owner, once per card, that it expires soon; False if already done."""
    now = now or clock.now()
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
            subject=format_lazy(
                gettext_lazy("Your card ending {last4} has expired")
                if expired
                else gettext_lazy("Your card ending {last4} expires soon"),
                last4=method.last4,
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
        events.card_expiry_reminded(method=method, customer=customer)
    return True


def cards_remind_expiring(*, today: dt.date | None = None) -> int:
    """Remind every customer whose active card expires within 30 days; return how many."""
    reminded = 0
    due = cards_expiring_soon(today=today).filter(
        clock.customer_scope("customer"), expiry_reminded_at__isnull=True
    )
    for method_id in due.values_list("pk", flat=True):
        reminded += card_expiry_remind(method_id=method_id)
    return reminded


def card_refresh_from_network(
    *, gateway: str, token: str, brand: str, last4: str, exp_month: int, exp_year: int
) -> PaymentMethod | None:
    """The card network updated a card on file (a new expiry, a reissued card): keep its brand,
    last four and expiry. Returns the card, or None when no active card has that token.

    Idempotent: the same details again change nothing. An expiry reminder already sent is
    forgotten when the expiry moves, so the new expiry gets its own reminder in time.
    """
    if not (last4.isdigit() and len(last4) == 4) or not 1 <= exp_month <= 12:
        raise ValueError("a card's last four digits and expiry month are required")
    with transaction.atomic():
        method = (
            PaymentMethod.objects.select_for_update()
            .filter(gateway=gateway, token=token, status=PaymentMethodStatus.ACTIVE)
            .first()
        )
        if method is None:
            return None
        previous = str(method)
        new = (brand[:16], last4, exp_month, exp_year)
        if new == (method.brand, method.last4, method.exp_month, method.exp_year):
            return method
        if (exp_month, exp_year) != (method.exp_month, method.exp_year):
            method.expiry_reminded_at = None
        method.brand, method.last4, method.exp_month, method.exp_year = new
        method.save(update_fields=["brand", "last4", "exp_month", "exp_year", "expiry_reminded_at"])
        events.card_updated_by_network(method=method, previous=previous)
        outbox_publish(
            topic=PAYMENT_METHOD_CHANGED_TOPIC,
            payload={
                "customer_id": method.customer_id,
                "payment_method_id": method.pk,
                "change": "updated_by_network",
            },
            dedupe_key=f"payment-method-changed:{method.pk}:{last4}:{exp_month}/{exp_year}",
        )
    return method
