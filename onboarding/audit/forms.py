from django import forms
from django.utils.translation import gettext_lazy as _

from onboarding.audit.models import Outcome
from onboarding.audit.selectors import AuditFilters

MAX_BIGINT = 2**63 - 1


class AuditFilterForm(forms.Form):
    """The list page's filters and keyset cursor, from the query string."""

    customer_id = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_BIGINT, label=_("Customer id")
    )
    object_type = forms.CharField(required=False, max_length=80, label=_("Object type"))
    object_id = forms.CharField(required=False, max_length=64, label=_("Object id"))
    action = forms.CharField(
        required=False, max_length=80, label=_("Action"), help_text=_("prefix, e.g. auth.")
    )
    actor_email = forms.CharField(required=False, max_length=254, label=_("Actor email"))
    outcome = forms.ChoiceField(
        required=False, choices=[("", _("Any")), *Outcome.choices], label=_("Outcome")
    )
    date_from = forms.DateField(
        required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"})
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
            self.add_error("date_to", _("The end date is before the start date."))
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
