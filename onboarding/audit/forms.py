from django import forms

from onboarding.audit.models import Outcome
from onboarding.audit.selectors import AuditFilters

MAX_BIGINT = 2**63 - 1


class AuditFilterForm(forms.Form):
    """The list page's filters and keyset cursor, from the query string."""

    customer_id = forms.IntegerField(required=False, min_value=1, max_value=MAX_BIGINT)
    object_type = forms.CharField(required=False, max_length=80)
    object_id = forms.CharField(required=False, max_length=64)
    action = forms.CharField(required=False, max_length=80, help_text="prefix, e.g. auth.")
    actor_email = forms.CharField(required=False, max_length=254, label="Actor email")
    outcome = forms.ChoiceField(required=False, choices=[("", "Any"), *Outcome.choices])
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    before = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_BIGINT, widget=forms.HiddenInput
    )
    after = forms.IntegerField(
        required=False, min_value=0, max_value=MAX_BIGINT, widget=forms.HiddenInput
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(
            customer_id=data["customer_id"],
            object_type=data["object_type"].strip(),
            object_id=data["object_id"].strip(),
            action=data["action"].strip(),
            actor_email=data["actor_email"].strip(),
            outcome=data["outcome"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
