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
