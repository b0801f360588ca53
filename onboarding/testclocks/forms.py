from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from onboarding.catalog.models import BillingCycle


class ClockForm(forms.Form):
    name = forms.CharField(max_length=100, label=_("Name"))
    frozen_time = forms.DateTimeField(
        label=_("Starts at (UTC)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Empty: now."),
    )


class TestCustomerForm(forms.Form):
    __test__ = False

    email = forms.EmailField(label=_("Email"))
    company = forms.CharField(max_length=200, initial=_("Test customer"), label=_("Company"))
    card_number = forms.CharField(
        label=_("Sandbox card"),
        max_length=19,
        initial="4242424242424242",
        help_text=_(
            "4242 4242 4242 4242 pays; 4000 0000 0000 9995 stays on file and every charge "
            "fails (docs/payments.md)."
        ),
    )
    plan_slug = forms.CharField(label=_("Plan (slug)"), max_length=120, required=False)
    cycle = forms.ChoiceField(
        choices=BillingCycle.choices, initial=BillingCycle.ANNUAL, label=_("Billing cycle")
    )


class AdvanceForm(forms.Form):
    amount = forms.IntegerField(
        required=False, min_value=1, label=pgettext_lazy("advance by", "Amount")
    )
    unit = forms.ChoiceField(
        choices=[
            ("hours", pgettext_lazy("advance by", "hours")),
            ("days", pgettext_lazy("advance by", "days")),
            ("months", pgettext_lazy("advance by", "months")),
        ],
        label=_("Unit"),
        initial="days",
        required=False,
    )
    to = forms.DateTimeField(
        label=_("Or to (UTC)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("to") and not cleaned.get("amount"):
            self.add_error("amount", _("Say how far to advance, or to when."))
        return cleaned
