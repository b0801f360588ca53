from django import forms

from onboarding.catalog.models import BillingCycle


class ClockForm(forms.Form):
    name = forms.CharField(max_length=100)
    frozen_time = forms.DateTimeField(
        label="Starts at (UTC)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Empty: now.",
    )


class TestCustomerForm(forms.Form):
    __test__ = False

    email = forms.EmailField()
    company = forms.CharField(max_length=200, initial="Test customer")
    card_number = forms.CharField(
        label="Sandbox card",
        max_length=19,
        initial="4242424242424242",
        help_text="4242 4242 4242 4242 pays; 4000 0000 0000 9995 stays on file and every charge "
        "fails (docs/payments.md).",
    )
    plan_slug = forms.CharField(label="Plan (slug)", max_length=120, required=False)
    cycle = forms.ChoiceField(choices=BillingCycle.choices, initial=BillingCycle.ANNUAL)


class AdvanceForm(forms.Form):
    amount = forms.IntegerField(required=False, min_value=1)
    unit = forms.ChoiceField(
        choices=[("hours", "hours"), ("days", "days"), ("months", "months")],
        initial="days",
        required=False,
    )
    to = forms.DateTimeField(
        label="Or to (UTC)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("to") and not cleaned.get("amount"):
            self.add_error("amount", "Say how far to advance, or to when.")
        return cleaned
