"""What a customer reads about a refused card or a failed payment, in the reader's language.

The gateways answer in English, and that English is what the attempt, the invoice, the audit
log and the admin alerts keep (`PaymentAttempt.message`, `Invoice.last_payment_message`): staff
and logs read one language. A customer's page or mail translates it when it is shown, from the
text this system wrote (the sandbox gateway's, `DECLINE_MESSAGES`, the charge fallbacks) or,
for a gateway text this system did not write (Stripe's own), from the decline code; a code
this system does not know gets one general sentence (`UNKNOWN_DECLINE`), never the gateway's
English. English readers get the stored text unchanged.
"""

from django.utils.translation import get_language, gettext_lazy

from onboarding.payments.models import DECLINE_MESSAGES

# The English texts stored by this system, and their translations.
_KNOWN_TEXTS = {
    str(text): text
    for text in (
        # payments.models.DECLINE_MESSAGES
        gettext_lazy("Your card was declined."),
        gettext_lazy("Your card has insufficient funds."),
        gettext_lazy("Your card has expired."),
        gettext_lazy("Your bank reports this card as lost."),
        gettext_lazy("Your bank reports this card as stolen."),
        gettext_lazy("Your bank declined the payment."),
        gettext_lazy("Your bank declined the payment: the card cannot be used."),
        gettext_lazy("Your bank asks us to try again later."),
        gettext_lazy("The payment provider had a processing error."),
        gettext_lazy("The card on file is no longer valid."),
        gettext_lazy("Your bank asks you to confirm this payment."),
        gettext_lazy("The payment was not confirmed with your bank."),
        # payments.charges and billing.charging fallbacks
        gettext_lazy(
            "We are confirming this payment with the payment provider. You will not be "
            "charged twice."
        ),
        gettext_lazy(
            "The payment could not be completed because of a problem at the payment provider."
        ),
        gettext_lazy("There is no card on file to charge. Add a card and try again."),
        gettext_lazy("The payment did not go through."),
        # The sandbox gateway's refusals of a card being entered
        gettext_lazy("Enter the card number: 12 to 19 digits."),
        gettext_lazy("That card number is not valid. Check it and try again."),
        gettext_lazy("Enter the 3-digit security code."),
        gettext_lazy("Enter the 4-digit security code."),
        gettext_lazy("The card was refused by the payment provider."),
        gettext_lazy("Your card was declined. Try another card."),
        gettext_lazy("Your card has expired. Try another card."),
        gettext_lazy(
            "The card could not be checked because of a processing error. Try again in a moment."
        ),
        gettext_lazy("That card could not be found. Enter it again."),
        gettext_lazy("Confirm the card with your bank first."),
        gettext_lazy("The card was not confirmed with your bank, so it was not saved."),
    )
}

# A gateway's own text (not one of the above) for a code: what the reader gets instead when
# they do not read English. Codes of the same meaning share the text of DECLINE_MESSAGES.
_BY_CODE = {**DECLINE_MESSAGES, "generic_decline": DECLINE_MESSAGES["card_declined"]}


# A gateway's own text for a code this system does not know: the reader is told what happened
# in their language; staff read the gateway's words in the record and the audit log.
UNKNOWN_DECLINE = gettext_lazy("The payment provider refused your card or the payment.")


def customer_text(code: str, message: str) -> str:
    """`message` (a gateway's or this system's English, as stored) for the customer, in the
    active language: the translation of a text this system wrote; else, for a reader who
    does not read English, the text of the decline code, or the general sentence for a code it
    does not know; English readers get the message as it is."""
    known = _KNOWN_TEXTS.get(message)
    if known is not None:
        return str(known)
    if not message or (get_language() or "en").split("-")[0] == "en":
        return message
    if code in _BY_CODE:
        return str(_KNOWN_TEXTS[_BY_CODE[code]])
    return str(UNKNOWN_DECLINE)
