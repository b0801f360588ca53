from django import forms

from onboarding.catalog.models import BillingCycle


class CycleForm(forms.Form):
    cycle = forms.ChoiceField(
        label="Billing cycle", choices=BillingCycle.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, available: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if available is not None:
            self.fields["cycle"].choices = [
                (value, label) for value, label in BillingCycle.choices if value in available
            ]
