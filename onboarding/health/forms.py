"""The managers' health queue's filters."""

from django import forms

from onboarding.health.models import Band
from onboarding.health.reads import QueueSort


class HealthQueueFilterForm(forms.Form):
    band = forms.ChoiceField(required=False, choices=[("", "All bands"), *Band.choices])
    sort = forms.ChoiceField(required=False, choices=QueueSort.CHOICES)
