from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from onboarding.acceptance.models import GIVEN_RATINGS
from onboarding.accounts.models import User

SHORT_TEXT = forms.Textarea(attrs={"rows": 2})

# No rating is preselected: a green logs acceptance and a red or yellow tells the managers, so
# each is a choice someone makes, never what a form happened to start on.
RATING_CHOICES = [("", _("Choose a rating"))] + [(r.value, r.label) for r in GIVEN_RATINGS]
RATING_REQUIRED = _("Choose a rating: Red, Yellow or Green.")


def _rating_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=RATING_CHOICES, label=_("Rating"), error_messages={"required": RATING_REQUIRED}
    )


class _StaffChoice(forms.TypedChoiceField):
    """A staff member by id, chosen from the active staff passed to the form."""

    def __init__(self, *, required: bool, **kwargs):
        super().__init__(coerce=int, required=required, empty_value=None, **kwargs)


def _staff_choices(staff: list[User], *, blank: str) -> list[tuple]:
    return [("", blank)] + [(u.pk, f"{u.email} ({u.get_role_display()})") for u in staff]


class _WithStaff(forms.Form):
    staff_field = "owner"

    def __init__(self, *args, staff: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self._staff = {u.pk: u for u in staff}
        self.fields[self.staff_field].choices = _staff_choices(staff, blank=_("— nobody —"))

    def chosen_staff(self) -> User | None:
        return self._staff.get(self.cleaned_data.get(self.staff_field))


class RequirementForm(_WithStaff):
    title = forms.CharField(max_length=200, label=_("Title"))
    criteria = forms.CharField(
        label=_("Acceptance criteria"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What must be true for this requirement to be green."),
    )
    rating = _rating_field()
    owner = _StaffChoice(required=False, label=_("Owner"))
    notes = forms.CharField(
        max_length=4000, required=False, label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2})
    )


class RequirementEditForm(_WithStaff):
    title = forms.CharField(max_length=200, label=_("Title"))
    criteria = forms.CharField(
        label=_("Acceptance criteria"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    owner = _StaffChoice(required=False, label=_("Owner"))
    notes = forms.CharField(
        max_length=4000, required=False, label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2})
    )


class RateForm(forms.Form):
    rating = _rating_field()
    note = forms.CharField(max_length=500, required=False, label=_("Why"))


class ConditionsForm(forms.Form):
    conditions = forms.CharField(
        max_length=2000, label=_("Conditions"), widget=forms.Textarea(attrs={"rows": 3})
    )


class RemediationForm(_WithStaff):
    owner = _StaffChoice(required=True, label=_("Who fixes it"))
    due = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(
        max_length=2000, required=False, label=_("Note"), widget=forms.Textarea(attrs={"rows": 2})
    )


class EscalateForm(forms.Form):
    note = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label=_("Why")
    )


class CancelContractForm(forms.Form):
    reason = forms.CharField(max_length=500, label=_("Reason"), widget=SHORT_TEXT)
    confirm = forms.BooleanField(label=_("Yes, cancel this contract"))


class ConsoleFilterForm(forms.Form):
    show = forms.ChoiceField(
        choices=[
            ("attention", _("Needs someone")),
            ("red", pgettext_lazy("acceptance status", "Red")),
            ("yellow", pgettext_lazy("acceptance status", "Yellow")),
            ("green", pgettext_lazy("acceptance status", "Green")),
            ("unknown", _("Not captured")),
            ("all", _("All in force")),
        ],
        required=False,
        label=_("Show"),
    )
