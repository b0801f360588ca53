"""The managers' health queue's filters, and the forms of a health review's next action."""

from django import forms
from django.utils.translation import gettext_lazy as _

from onboarding.accounts.models import User
from onboarding.health.models import Band, NextAction
from onboarding.health.reads import QueueSort


class HealthQueueFilterForm(forms.Form):
    band = forms.ChoiceField(
        required=False, label=_("Band"), choices=[("", _("All bands")), *Band.choices]
    )
    sort = forms.ChoiceField(required=False, label=_("Order"), choices=QueueSort.CHOICES)


class ReviewActForm(forms.Form):
    """The next action on a customer in red. Which fields an action needs (an owner and a due
    date to contact or make an offer, a note to escalate or accept the risk) is the service's
    rule (reviews.health_review_act): its refusals land on the fields here."""

    action = forms.ChoiceField(
        choices=NextAction.choices, label=_("Action"), widget=forms.RadioSelect
    )
    owner = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label=_("Who does it")
    )
    due = forms.DateField(
        required=False, label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        max_length=2000, required=False, label=_("Note"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, staff: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self._staff = {u.pk: u for u in staff}
        self.fields["owner"].choices = [("", _("— choose —"))] + [
            (u.pk, f"{u.email} ({u.get_role_display()})") for u in staff
        ]

    def chosen_owner(self) -> User | None:
        return self._staff.get(self.cleaned_data.get("owner"))
