from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from onboarding.contracts.models import ContractState
from onboarding.contracts.selectors import EXPIRY_WINDOWS


class AcknowledgeForm(forms.Form):
    """Read, type your name, confirm. The hash is the one of the document the page showed."""

    name = forms.CharField(
        label=_("Type your full name"),
        max_length=200,
        help_text=_("Typing your name here acknowledges the contract shown above."),
    )
    document_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64, min_length=64)
    confirm = forms.BooleanField(
        label=_("I have read this contract and I acknowledge it."),
        error_messages={"required": _("Tick the box to confirm you have read the contract.")},
    )

    def clean_document_sha256(self) -> str:
        value = self.cleaned_data["document_sha256"].strip().lower()
        if any(char not in "0123456789abcdef" for char in value):
            raise forms.ValidationError(_("The page was changed; reload it and try again."))
        return value


class CancelForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, cancel this contract. Billing stops at the end of the period already paid."),
        error_messages={"required": _("Tick the box to confirm the cancellation.")},
    )
    reason = forms.CharField(label=_("Why (optional)"), max_length=500, required=False)


class AmendForm(forms.Form):
    reason = forms.CharField(
        label=_("What changed"),
        max_length=500,
        help_text=_("A new document version is generated and the customer acknowledges it again."),
    )


class StaffFilterForm(forms.Form):
    state = forms.ChoiceField(
        choices=[("", _("Any state")), *ContractState.choices], required=False, label=_("State")
    )
    expires_within = forms.TypedChoiceField(
        choices=[
            ("", _("Any time")),
            *[(str(d), format_lazy(_("Within {days} days"), days=d)) for d in EXPIRY_WINDOWS],
        ],
        coerce=int,
        empty_value=None,
        required=False,
        label=_("Term ends"),
    )
    q = forms.CharField(max_length=100, required=False, label=_("Search"))
