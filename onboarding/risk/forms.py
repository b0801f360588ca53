from django import forms
from django.utils.translation import gettext_lazy as _


class ResolveForm(forms.Form):
    note = forms.CharField(max_length=500, label=_("What was done"))
