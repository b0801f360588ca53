from datetime import datetime

from ninja import Schema
from pydantic import Field

from onboarding.core.money import Money
from onboarding.core.schemas import MoneyOut, deprecated
from onboarding.payments.decline_texts import customer_text
from onboarding.payments.models import PaymentAttempt, PaymentMethod


class CardIn(Schema):
    """Sandbox mode only: in Stripe mode the number never reaches us (use setup_intent)."""

    number: str = Field("", max_length=23)
    exp_month: int = Field(0, ge=1, le=12)
    exp_year: int = Field(0, ge=2000, le=2100)
    cvc: str = Field("", max_length=4)
    holder_name: str = Field("", max_length=100)
    setup_intent: str = Field(
        "", max_length=128, description="Stripe mode: a confirmed SetupIntent id"
    )
    password: str = Field("", max_length=200, description="Required to replace the card on file")


class CardOut(Schema):
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    expires_soon: bool

    @staticmethod
    def of(method: PaymentMethod) -> "CardOut":
        return CardOut(
            brand=method.brand,
            last4=method.last4,
            exp_month=method.exp_month,
            exp_year=method.exp_year,
            expires_soon=method.expires_soon,
        )


class PaymentOut(Schema):
    """One charge attempt as its customer sees it: no token, no key, no card number."""

    id: int
    reference: str
    description: str
    amount_minor: int = Field(..., json_schema_extra=deprecated("amount_money.amount_minor"))
    currency: str
    # The formatted string holds the name `amount`, so its object is `amount_money`.
    amount: str = Field(..., json_schema_extra=deprecated("amount_money.display"))
    amount_money: MoneyOut
    status: str
    message: str
    card: str
    refunded_minor: int = Field(..., json_schema_extra=deprecated("refunded.amount_minor"))
    refunded: MoneyOut = Field(..., description="Given back, or on its way back")
    created_at: datetime
    settled_at: datetime | None

    @staticmethod
    def of(attempt: PaymentAttempt) -> "PaymentOut":
        method = attempt.payment_method
        # Annotated by payment_attempts_of; an attempt read on its own has none.
        refunded_minor = getattr(attempt, "refunded_minor", 0)
        return PaymentOut(
            id=attempt.pk,
            reference=attempt.invoice_reference,
            description=attempt.description,
            amount_minor=attempt.amount_minor,
            currency=attempt.currency,
            amount=str(attempt.amount),
            amount_money=attempt.amount,
            status=attempt.status,
            message=customer_text(attempt.code, attempt.message),  # the caller's language
            card=f"{method.brand.title()} •••• {method.last4}" if method else "",
            refunded_minor=refunded_minor,
            refunded=Money(refunded_minor, attempt.currency),
            created_at=attempt.created_at,
            settled_at=attempt.settled_at,
        )
