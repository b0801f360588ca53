from django import forms
from django.utils.translation import gettext_lazy as _

from onboarding.core.form_rendering import QUICK_RENDERER
from onboarding.payments.gateways.base import CardDetails

NUMBER_AGAIN = _("For your security, enter the card number and security code again.")


class CardForm(forms.Form):
    """Card entry for the sandbox gateway. The number is never rendered back into the page."""

    default_renderer = QUICK_RENDERER

    holder_name = forms.CharField(
        label=_("Name on card"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "cc-name"}),
    )
    number = forms.CharField(
        label=_("Card number"),
        max_length=23,
        widget=forms.TextInput(
            attrs={"autocomplete": "cc-number", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )
    # No initial year: a year filled in for the customer is saved unread, and is often wrong.
    exp_month = forms.IntegerField(
        label=_("Expiry month"),
        min_value=1,
        max_value=12,
        widget=forms.NumberInput(attrs={"autocomplete": "cc-exp-month", "inputmode": "numeric"}),
    )
    exp_year = forms.IntegerField(
        label=_("Expiry year"),
        min_value=2000,
        max_value=2100,
        widget=forms.NumberInput(attrs={"autocomplete": "cc-exp-year", "inputmode": "numeric"}),
    )
    cvc = forms.CharField(
        label=_("Security code"),
        max_length=4,
        widget=forms.PasswordInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
    )

    def card_details(self) -> CardDetails:
        data = self.cleaned_data
        return CardDetails(
            number=data["number"],
            exp_month=data["exp_month"],
            exp_year=data["exp_year"],
            cvc=data["cvc"],
            holder_name=data.get("holder_name", ""),
        )

    def forget_card(self) -> None:
        """After any outcome, render the form again without the number and the code, and say
        why they are empty: a number the customer typed does not vanish without a word."""
        typed = bool(self.data.get("number"))
        self.data = self.data.copy()
        for name in ("number", "cvc"):
            self.data.pop(name, None)
        if typed:
            self.fields["number"].help_text = NUMBER_AGAIN
            self["number"].help_text = NUMBER_AGAIN  # the bound field keeps its own copy


class SetupIntentForm(forms.Form):
    """Stripe mode: Stripe's own fields confirm a SetupIntent in the browser; only its id comes
    back. A refusal (a declined card, the password not confirmed) shows as the form's error."""

    default_renderer = QUICK_RENDERER

    setup_intent = forms.CharField(required=False, widget=forms.HiddenInput)

    def client_token(self) -> str:
        return self.cleaned_data["setup_intent"][:128]
