"""/api/v1/me/card: the card on file (brand, last four, expiry; never the number), and
/api/v1/me/payments: the customer's charge attempts (never a token or a number)."""

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Query, Router

from onboarding.accounts.reauthentication import password_confirm
from onboarding.accounts.selectors import customer_of_user
from onboarding.core.access import visible_to
from onboarding.core.errors import NotFound
from onboarding.payments.gateways.base import CardDetails
from onboarding.payments.methods import payment_method_add
from onboarding.payments.schemas import CardIn, CardOut, PaymentOut
from onboarding.payments.selectors import payment_attempts_of, payment_method_active

router = Router()
payments_router = Router()


@router.get("", response={200: CardOut, 404: dict}, summary="Your card on file")
def get_card(request: HttpRequest):
    method = payment_method_active(customer=customer_of_user(user=request.user))
    if method is None:
        raise NotFound(gettext("No card on file."))

    return CardOut.of(method)


@router.post(
    "",
    response={201: CardOut, 400: dict, 404: dict, 422: dict, 429: dict, 503: dict},
    summary="Put a card on file, or replace it (password required)",
    description="Replacing the card takes the account's password; a wrong one is audited, and "
    "past 10 tries a minute (counted with the reauthentication page's) the answer is 429.",
)
def post_card(request: HttpRequest, payload: CardIn):
    customer = customer_of_user(user=request.user)
    replacing = payment_method_active(customer=customer) is not None
    if replacing and payload.password:
        password_confirm(
            request=request,
            user=request.user,
            password=payload.password,
            purpose="replace the card",
        )
    card = None
    if not payload.setup_intent:
        card = CardDetails(
            number=payload.number,
            exp_month=payload.exp_month,
            exp_year=payload.exp_year,
            cvc=payload.cvc,
            holder_name=payload.holder_name,
        )
    method = payment_method_add(
        customer=customer,
        actor=request.user,
        card=card,
        client_token=payload.setup_intent or None,
        identity_confirmed=replacing and bool(payload.password),
    )
    return 201, CardOut.of(method)


@payments_router.get(
    "", response={200: list[PaymentOut], 404: dict}, summary="Your payments, newest first"
)
def list_payments(
    request: HttpRequest,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=10**9),
):
    customer = customer_of_user(user=request.user)
    attempts = visible_to(request.user, payment_attempts_of(customer=customer))
    return [PaymentOut.of(a) for a in attempts[offset : offset + limit]]
