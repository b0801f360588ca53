"""Shared set-up for payment tests: a customer with a sandbox card on file."""

from django.utils import timezone

from onboarding.accounts.models import Customer
from onboarding.payments.gateways.base import CardDetails
from onboarding.payments.methods import payment_method_add
from onboarding.payments.models import PaymentMethod

GOOD_CARD = "4242424242424242"
INSUFFICIENT_FUNDS_CARD = "4000000000009995"


def card_on_file(
    customer: Customer, number: str = GOOD_CARD, *, password: str | None = None, **expiry
) -> PaymentMethod:
    details = CardDetails(
        number=number,
        exp_month=expiry.get("exp_month", 12),
        exp_year=expiry.get("exp_year", timezone.now().year + 2),
        cvc="123",
    )
    # A replacement is confirmed the way a page or the API does it: the right password.
    confirmed = password is not None and customer.user.check_password(password)
    return payment_method_add(
        customer=customer, actor=customer.user, card=details, identity_confirmed=confirmed
    )
