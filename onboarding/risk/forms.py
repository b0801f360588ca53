from django import forms


class ResolveForm(forms.Form):
    note = forms.CharField(max_length=500, label="What was done")
