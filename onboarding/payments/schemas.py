from ninja import Schema
from pydantic import Field

from onboarding.payments.models import PaymentMethod


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
