"""The gateway interface the rest of the product uses. Adapters never see more than they need:
a card number passes through `tokenize_card` once and is never stored, logged or returned."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from onboarding.core.money import Money


class GatewayError(Exception):
    """The gateway refused or failed; `code` is stable, `message` is for the customer."""

    def __init__(self, code: str, message: str, *, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class GatewayTimeout(GatewayError):
    """The gateway did not answer in time: the outcome is unknown, not failed."""

    def __init__(self, message: str = "The payment provider did not answer in time."):
        super().__init__("timeout", message)


class SetupActionRequired(GatewayError):
    """Putting this card on file needs the customer's authentication with their bank first
    (Strong Customer Authentication at setup). `reference` names the setup waiting for it: the
    sandbox's pending card (Stripe's own fields handle this step in the browser)."""

    def __init__(self, reference: str):
        super().__init__(
            "authentication_required",
            "Your bank asks you to confirm this card.",
            field="number",
        )
        self.reference = reference


@dataclass(frozen=True)
class CardDetails:
    """What a customer typed. Lives only for the length of one request."""

    number: str
    exp_month: int
    exp_year: int
    cvc: str
    holder_name: str = ""

    def __repr__(self) -> str:  # never let a number reach a log through repr()
        return f"CardDetails(number=****, exp={self.exp_month:02d}/{self.exp_year})"


@dataclass(frozen=True)
class CardToken:
    """What we keep: the gateway's token, brand, last four digits and expiry."""

    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


# The code of a charge the gateway has no record of (our process died before sending it, or the
# request was lost on the way): nothing was charged, and nothing is wrong with the card.
NOT_RECEIVED = "not_received"


class ChargeStatus(StrEnum):
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    FAILED = "failed"
    UNKNOWN = "unknown"
    # The bank asks the customer to authenticate the charge (SCA): not failed, not final. The
    # result's gateway_charge_id is the reference the confirmation step uses (Stripe's
    # PaymentIntent id; its client secret is asked for when the page is shown, never kept).
    REQUIRES_ACTION = "requires_action"


@dataclass(frozen=True)
class ChargeResult:
    status: ChargeStatus
    gateway_charge_id: str = ""
    code: str = ""
    message: str = ""


@dataclass(frozen=True)
class ChargeRequest:
    """One charge of a batch (`charge_many`)."""

    token: str
    amount: Money
    idempotency_key: str
    description: str


@dataclass(frozen=True)
class ActionStart:
    """What the browser needs to confirm a charge with the bank (Stripe.js confirmCardPayment):
    never stored, shown only on the customer's own confirmation page."""

    client_secret: str = ""
    payment_method: str = ""


@dataclass(frozen=True)
class RefundResult:
    gateway_refund_id: str
    amount: Money


class PaymentGateway(Protocol):
    name: str

    def tokenize_card(self, *, card: CardDetails, customer_reference: str) -> CardToken: ...

    def attach_token(self, *, token: str, customer_reference: str) -> CardToken:
        """Adopt a token made client-side (Stripe Elements): the number never reached us."""
        ...

    def charge(
        self, *, token: str, amount: Money, idempotency_key: str, description: str
    ) -> ChargeResult: ...

    # Optional: `charge_many(*, charges: list[ChargeRequest]) -> list[ChargeResult |
    # GatewayError]`, the same as `charge` for each, answered in order, faster in bulk. Adapters
    # without it are called once per charge (see charges_send in onboarding.payments.charges).

    def lookup_charge(self, *, idempotency_key: str) -> ChargeResult | None:
        """What happened to the charge sent with this key; None if the gateway never saw it."""
        ...

    def refund(
        self, *, gateway_charge_id: str, amount: Money, idempotency_key: str
    ) -> RefundResult: ...

    # --- Customer authentication (SCA) ---

    def action_start(self, *, reference: str) -> ActionStart:
        """What the confirmation page needs for the charge `reference` (a REQUIRES_ACTION
        result's gateway_charge_id): Stripe's client secret; nothing for the sandbox."""
        ...

    def action_complete(self, *, reference: str, approve: bool) -> ChargeResult:
        """The charge after the customer's confirmation step: the sandbox applies `approve`
        (its stand-in for the bank's page); Stripe reads the PaymentIntent the browser confirmed.
        REQUIRES_ACTION means it still waits for the customer (cancelled, or failed at the bank).
        """
        ...

    def setup_action_complete(
        self, *, reference: str, customer_reference: str, approve: bool
    ) -> None:
        """The customer confirmed (or refused) a card setup that raised SetupActionRequired; a
        confirmed one can then be put on file with attach_token(token=reference). Stripe's
        fields confirm setups in the browser, so only the sandbox has this step."""
        ...
