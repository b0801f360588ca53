"""Which declines are worth retrying: hard declines (the card will never work again) and soft
ones (it may work later), by Stripe's `decline_code` names. Billing's dunning reads this.

A hard decline stops the retries and asks the customer for a new card at once; retrying a card
reported lost or stolen only earns more declines (and card networks count them against us). A
soft decline, and any code not listed here, is retried on the dunning schedule: an unknown code
costs one more try, never a customer wrongly told their card is dead.

Stripe's generic `do_not_honor` is soft unless the issuer adds the advice code
`do_not_try_again` (the card or account is closed): the Stripe adapter then records the code as
"do_not_honor/do_not_try_again" (`decline_code_of`), and any code with that advice is hard.
"""

from enum import StrEnum

# What the issuer advises, after the decline code, when it says never to retry this card.
DO_NOT_TRY_AGAIN = "do_not_try_again"
_ADVICE_SEPARATOR = "/"


class DeclineKind(StrEnum):
    HARD = "hard"
    SOFT = "soft"


# The card is gone, closed or not this customer's to use: no retry can succeed.
HARD_DECLINE_CODES: dict[str, str] = {
    "lost_card": "The card was reported lost.",
    "stolen_card": "The card was reported stolen.",
    "pickup_card": "The bank asks for the card to be retained (it may be lost or stolen).",
    "expired_card": "The card has expired.",
    "invalid_account": "The card, or the account it draws on, is closed or invalid.",
    "new_account_information_available": "The card was replaced by the bank.",
    "restricted_card": "The card cannot be used for this kind of payment.",
    "revocation_of_all_authorizations": "The customer withdrew every recurring authorization.",
    "revocation_of_authorization": "The customer withdrew this recurring authorization.",
    "stop_payment_order": "The customer asked the bank to stop these payments.",
    "security_violation": "The bank blocked the card for a security reason.",
    "incorrect_number": "The card number on file is wrong.",
    "invalid_number": "The card number on file is wrong.",
    "card_not_supported": "The card does not support this kind of payment.",
    "currency_not_supported": "The card cannot pay in this currency.",
    "fraudulent": "The bank suspects fraud on this card.",
    "merchant_blacklist": "The bank refuses payments to us from this card.",
}

# The card may work later: retried on the schedule. (Listed for the documentation and the tests;
# an unknown code is soft too.)
SOFT_DECLINE_CODES: dict[str, str] = {
    "insufficient_funds": "Not enough money on the account right now.",
    "processing_error": "An error at the bank or the payment provider.",
    "try_again_later": "The bank asks to try again later.",
    "issuer_not_available": "The bank could not be reached.",
    "reenter_transaction": "The bank asks for the payment to be sent again.",
    "approve_with_id": "The bank could not authorize the payment this time.",
    "card_velocity_exceeded": "The card's limit on payments was reached for now.",
    "withdrawal_count_limit_exceeded": "The card's limit on payments was reached for now.",
    "do_not_honor": "The bank declined without a reason (hard if it adds do_not_try_again).",
    "generic_decline": "The bank declined without a reason.",
    "card_declined": "The card was declined without a reason.",
    "call_issuer": "The bank declined without a reason.",
    "no_action_taken": "The bank declined without a reason.",
    "not_permitted": "The bank declined without a reason.",
    "service_not_allowed": "The bank declined without a reason.",
    "transaction_not_allowed": "The bank declined without a reason.",
    "authentication_required": "The bank asks the customer to confirm the payment.",
}


def decline_code_of(decline_code: str, advice_code: str | None = None) -> str:
    """The code to record for a decline: Stripe's decline code, with the issuer's advice
    appended only when it says never to retry (so the record alone tells a closed card)."""
    if advice_code == DO_NOT_TRY_AGAIN and decline_code not in HARD_DECLINE_CODES:
        return f"{decline_code}{_ADVICE_SEPARATOR}{DO_NOT_TRY_AGAIN}"
    return decline_code


def decline_kind(code: str) -> DeclineKind:
    """HARD when retrying cannot succeed; SOFT otherwise, unknown and empty codes included."""
    decline_code, _, advice = (code or "").partition(_ADVICE_SEPARATOR)
    if decline_code in HARD_DECLINE_CODES or advice == DO_NOT_TRY_AGAIN:
        return DeclineKind.HARD
    return DeclineKind.SOFT


def is_hard_decline(code: str) -> bool:
    return decline_kind(code) == DeclineKind.HARD
