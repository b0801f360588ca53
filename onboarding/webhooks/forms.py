from django import forms
from django.utils.translation import gettext_lazy as _

from onboarding.webhooks.catalog import EVENT_TYPES


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("URL"),
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://crm.example.com/hooks/onboarding"}),
    )
    description = forms.CharField(max_length=200, required=False, label=_("Description"))
    event_types = forms.MultipleChoiceField(
        choices=[(e.name, e.name) for e in EVENT_TYPES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Event types"),
        help_text=_("None ticked: every event type."),
    )


class ReplayForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("From (UTC)"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("To (UTC)"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("starts_at"), cleaned.get("ends_at")
        if start and end and start >= end:
            self.add_error("ends_at", _("The period must end after it starts."))
        return cleaned
