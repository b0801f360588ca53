"""The Stripe adapter, on the official `stripe` library.

Cards are collected by Stripe's own client-side fields (Stripe Elements confirming a SetupIntent),
so a card number never reaches our server: `tokenize_card` is refused in this mode, and the
browser hands us the confirmed SetupIntent's id, which `attach_token` turns into the stored card.
Charges are off-session PaymentIntents carrying our idempotency key both as Stripe's
Idempotency-Key header and in metadata, so `lookup_charge` can find an attempt whose answer was
lost. A token is "<customer id>/<payment method id>": a PaymentIntent needs both.

Customer authentication (SCA): an off-session charge the bank wants confirmed comes back as a
PaymentIntent in `requires_action` (or refused with `authentication_required`, the intent then
waiting for a payment method). Either is REQUIRES_ACTION, referenced by the intent's id; the
confirmation page asks `action_start` for the intent's client secret (never stored) and runs
Stripe.js `confirmCardPayment`, then `action_complete` reads what the intent became.
"""

from dataclasses import dataclass

import stripe
from django.conf import settings

from onboarding.core.money import Money
from onboarding.payments.declines import decline_code_of
from onboarding.payments.gateways.base import (
    ActionStart,
    CardDetails,
    CardToken,
    ChargeResult,
    ChargeStatus,
    GatewayError,
    GatewayTimeout,
    RefundResult,
)

# What Stripe answers when the bank wants the customer to authenticate the charge, or when the
# customer failed or abandoned that authentication: still the customer's to confirm.
AUTHENTICATION_CODES = frozenset(
    {"authentication_required", "payment_intent_authentication_failure"}
)
AUTHENTICATION_MESSAGE = "Your bank asks you to confirm this payment."


@dataclass(frozen=True)
class SetupStart:
    client_secret: str
    gateway_customer_id: str


def _split_token(token: str) -> tuple[str, str]:
    customer_id, _, payment_method_id = token.partition("/")
    if not customer_id or not payment_method_id:
        raise GatewayError("invalid_token", "The card on file is no longer valid.")
    return customer_id, payment_method_id


def charge_result_of(intent) -> ChargeResult:
    """What a PaymentIntent's state means for our attempt: one reading for the charge's answer,
    the reconciler's lookup and the webhook's events, so all three agree."""
    if intent.status == "succeeded":
        return ChargeResult(ChargeStatus.SUCCEEDED, gateway_charge_id=intent.id)
    if intent.status == "processing":
        return ChargeResult(ChargeStatus.UNKNOWN, gateway_charge_id=intent.id, code="processing")
    error = getattr(intent, "last_payment_error", None)
    error_code = getattr(error, "decline_code", None) or getattr(error, "code", None)
    if intent.status in ("requires_action", "requires_confirmation") or (
        intent.status == "requires_payment_method" and error_code in AUTHENTICATION_CODES
    ):
        return ChargeResult(
            ChargeStatus.REQUIRES_ACTION,
            gateway_charge_id=intent.id,
            code=error_code if error_code in AUTHENTICATION_CODES else "authentication_required",
            message=AUTHENTICATION_MESSAGE,
        )
    return ChargeResult(
        ChargeStatus.DECLINED,
        code=decline_code_of(
            getattr(error, "decline_code", None) or getattr(error, "code", None) or intent.status,
            getattr(error, "advice_code", None),
        ),
        message=getattr(error, "message", "") or "",
    )


class StripeGateway:
    name = "stripe"
    client_side_fields = True

    def __init__(self, client: stripe.StripeClient | None = None):
        self.client = client or stripe.StripeClient(
            settings.STRIPE_SECRET_KEY, max_network_retries=0
        )

    def setup_start(
        self, *, customer_reference: str, email: str, gateway_customer_id: str = ""
    ) -> SetupStart:
        try:
            if not gateway_customer_id:
                customer = self.client.v1.customers.create(
                    {"email": email, "metadata": {"customer_reference": customer_reference}},
                    {"idempotency_key": f"customer-{customer_reference}"},
                )
                gateway_customer_id = customer.id
            intent = self.client.v1.setup_intents.create(
                {
                    "customer": gateway_customer_id,
                    "usage": "off_session",
                    "payment_method_types": ["card"],
                }
            )
        except stripe.APIConnectionError as exc:
            raise GatewayTimeout() from exc
        except stripe.StripeError as exc:
            raise GatewayError("setup_failed", "The card form could not be prepared.") from exc
        return SetupStart(
            client_secret=intent.client_secret, gateway_customer_id=gateway_customer_id
        )

    def tokenize_card(self, *, card: CardDetails, customer_reference: str) -> CardToken:
        raise GatewayError(
            "client_side_only", "Enter your card in the secure card form.", field="number"
        )

    def attach_token(self, *, token: str, customer_reference: str) -> CardToken:
        try:
            intent = self.client.v1.setup_intents.retrieve(token, {"expand": ["payment_method"]})
        except stripe.APIConnectionError as exc:
            raise GatewayTimeout() from exc
        except stripe.StripeError as exc:
            raise GatewayError("invalid_token", "That card could not be found.") from exc
        if intent.status != "succeeded":
            error = getattr(intent, "last_setup_error", None)
            raise GatewayError(
                getattr(error, "code", None) or "card_declined",
                getattr(error, "message", None) or "Your card was declined. Try another card.",
                field="number",
            )
        card = intent.payment_method.card
        return CardToken(
            token=f"{intent.customer}/{intent.payment_method.id}",
            brand=card.brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
        )

    def charge(
        self, *, token: str, amount: Money, idempotency_key: str, description: str
    ) -> ChargeResult:
        customer_id, payment_method_id = _split_token(token)
        try:
            intent = self.client.v1.payment_intents.create(
                {
                    "amount": amount.amount_minor,
                    "currency": amount.currency.lower(),
                    "customer": customer_id,
                    "payment_method": payment_method_id,
                    "off_session": True,
                    "confirm": True,
                    "description": description,
                    "metadata": {"idempotency_key": idempotency_key},
                },
                {"idempotency_key": idempotency_key},
            )
        except stripe.CardError as exc:
            error = exc.error
            intent = getattr(error, "payment_intent", None)
            if (
                getattr(error, "decline_code", None) or exc.code
            ) in AUTHENTICATION_CODES and intent:
                return ChargeResult(
                    ChargeStatus.REQUIRES_ACTION,
                    gateway_charge_id=intent.id,
                    code="authentication_required",
                    message=AUTHENTICATION_MESSAGE,
                )
            return ChargeResult(
                ChargeStatus.DECLINED,
                code=decline_code_of(
                    getattr(error, "decline_code", None) or exc.code or "card_declined",
                    getattr(error, "advice_code", None),
                ),
                message=exc.user_message or "Your card was declined.",
            )
        except (stripe.APIConnectionError, stripe.APIError) as exc:
            # No answer, or Stripe's own 5xx: the charge may or may not exist. Never retry with a
            # new key; the reconciler asks lookup_charge later.
            raise GatewayTimeout() from exc
        except stripe.StripeError as exc:
            return ChargeResult(ChargeStatus.FAILED, code=exc.code or "stripe_error")
        return charge_result_of(intent)

    def lookup_charge(self, *, idempotency_key: str) -> ChargeResult | None:
        try:
            found = self.client.v1.payment_intents.search(
                {"query": f"metadata['idempotency_key']:'{idempotency_key}'", "limit": 1}
            )
        except (stripe.APIConnectionError, stripe.APIError) as exc:
            raise GatewayTimeout() from exc
        return charge_result_of(found.data[0]) if found.data else None

    def _intent(self, reference: str):
        try:
            return self.client.v1.payment_intents.retrieve(reference)
        except (stripe.APIConnectionError, stripe.APIError) as exc:
            raise GatewayTimeout() from exc
        except stripe.StripeError as exc:
            raise GatewayError("no_such_charge", "That payment could not be found.") from exc

    def action_start(self, *, reference: str) -> ActionStart:
        intent = self._intent(reference)
        return ActionStart(
            client_secret=intent.client_secret,
            payment_method=getattr(intent, "payment_method", None) or "",
        )

    def action_complete(self, *, reference: str, approve: bool) -> ChargeResult:
        # The customer answered their bank in the browser (Stripe.js); `approve` is theirs there.
        return charge_result_of(self._intent(reference))

    def setup_action_complete(
        self, *, reference: str, customer_reference: str, approve: bool
    ) -> None:
        raise GatewayError("client_side_only", "Enter your card in the secure card form.")

    def refund(
        self, *, gateway_charge_id: str, amount: Money, idempotency_key: str
    ) -> RefundResult:
        try:
            refund = self.client.v1.refunds.create(
                {"payment_intent": gateway_charge_id, "amount": amount.amount_minor},
                {"idempotency_key": idempotency_key},
            )
        except stripe.APIConnectionError as exc:
            raise GatewayTimeout() from exc
        except stripe.StripeError as exc:
            raise GatewayError(
                exc.code or "refund_failed", exc.user_message or "The refund was refused."
            ) from exc
        return RefundResult(
            gateway_refund_id=refund.id, amount=Money(refund.amount, amount.currency)
        )
