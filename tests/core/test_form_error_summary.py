"""{{ form|error_summary }} (core/templatetags/form_errors): what the summary at the top of a form
with errors lists, and where each link goes."""

from django import forms

from onboarding.core.templatetags.form_errors import error_summary


class Order(forms.Form):
    next = forms.CharField(widget=forms.HiddenInput)
    cycle = forms.ChoiceField(choices=[("m", "Monthly"), ("y", "Yearly")], widget=forms.RadioSelect)
    name = forms.CharField(label="Your name")

    def clean(self):
        raise forms.ValidationError("Nothing can be bought today.")


def test_form_errors_come_first_then_each_field_linked_to_its_control():
    problems = error_summary(Order(data={"cycle": "weekly"}))
    assert [(p.label, p.anchor) for p in problems] == [
        ("", ""),  # the form's own error
        ("", ""),  # the hidden field's: nothing on the page to go to
        ("Cycle", "id_cycle_0"),  # a radio list: its first option
        ("Your name", "id_name"),
    ]
    assert problems[0].messages == ["Nothing can be bought today."]
    assert "weekly" in problems[2].messages[0]


def test_a_form_without_errors_or_not_posted_has_nothing_to_summarise():
    assert error_summary(Order()) == []
    assert error_summary(forms.Form(data={})) == []
    assert error_summary("") == []  # a template naming no form
