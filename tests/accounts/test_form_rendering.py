"""The customer forms' quick widget rendering prints exactly what Django's templates print."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from onboarding.accounts.form_rendering import QUICK_RENDERER
from onboarding.accounts.forms import ContactForm, ProfileForm
from onboarding.billing.forms import CycleForm
from onboarding.billing.selectors import plan_cycle_offers
from onboarding.payments.forms import CardForm, SetupIntentForm
from tests.factories import plan_with_prices

DJANGO = DjangoTemplates()


class EveryInput(forms.Form):
    """Widgets the customer forms do not use yet, with awkward values and attributes."""

    text = forms.CharField(
        help_text="Help",
        widget=forms.TextInput(
            attrs={"data-q": '"<quoted>&', "autofocus": True, "hidden": False, "size": 10}
        ),
    )
    safe = forms.CharField(required=False, initial=mark_safe("<b>as is</b>"))
    number = forms.IntegerField(required=False, initial=7)
    email = forms.EmailField(required=False)
    hidden = forms.CharField(required=False, widget=forms.HiddenInput, initial="h&")
    date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    password = forms.CharField(required=False, widget=forms.PasswordInput(render_value=True))
    agree = forms.BooleanField(required=False, initial=True)
    radio = forms.ChoiceField(
        choices=[("a", "A <&>"), ("b", mark_safe("<em>B</em>")), ("", "None")],
        widget=forms.RadioSelect(attrs={"class": "row"}),
    )
    grouped = forms.ChoiceField(
        required=False,
        choices=[("Group <1>", [("x", "X"), ("y", "Y")]), ("z", "Z")],
        widget=forms.RadioSelect,
    )
    many = forms.MultipleChoiceField(
        required=False, choices=[(1, 1), (2, 2)], widget=forms.CheckboxSelectMultiple
    )


def rendered(form_class, data, renderer, **kwargs) -> list[str]:
    """Every field as a page prints it: the whole widget, and each option on its own."""
    form = form_class(data, renderer=renderer, **kwargs)
    if form.is_bound:
        form.is_valid()
    out = []
    for field in form:
        out.append(str(field))
        for option in field.subwidgets:
            out += [str(option), option.tag()]
    return out


def cycle_form_kwargs():
    plan = plan_with_prices()
    return {"offers": plan_cycle_offers(plan=plan), "initial": {"cycle": "annual"}}


CASES = [
    (EveryInput, None, dict),
    (EveryInput, {"text": "v<", "radio": "nope", "number": "x", "many": ["1", "3"]}, dict),
    (EveryInput, {"text": "ok", "radio": "b", "grouped": "y", "agree": "on"}, dict),
    (ProfileForm, None, dict),
    (ProfileForm, {"phone": "not a phone", "country": "XX", "preferred_inbox": "?"}, dict),
    (ContactForm, None, dict),
    (ContactForm, {"name": "", "email": "not-an-email", "phone": "12"}, dict),
    (CardForm, None, dict),
    (CardForm, {"number": "4242", "exp_month": "13", "exp_year": "x", "cvc": ""}, dict),
    (SetupIntentForm, {"setup_intent": "seti_<1>"}, dict),
    (CycleForm, None, cycle_form_kwargs),
    (CycleForm, {"cycle": "weekly"}, cycle_form_kwargs),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("form_class", "data", "kwargs"), CASES)
def test_quick_widgets_print_what_djangos_templates_print(form_class, data, kwargs):
    arguments = kwargs()
    quick = rendered(form_class, data, QUICK_RENDERER, **arguments)
    assert quick == rendered(form_class, data, DJANGO, **arguments)
    assert any("<input" in html for html in quick)


@pytest.mark.parametrize("form_class", [ProfileForm, ContactForm, CardForm, CycleForm])
def test_the_customer_forms_render_their_widgets_quickly(form_class):
    assert form_class.default_renderer is QUICK_RENDERER


@pytest.mark.django_db
def test_the_country_select_is_required_and_offers_a_blank_first():
    form = ProfileForm()
    html = str(form["country"])
    assert " required" in html.split(">", 1)[0]
    assert html.split("\n")[1].startswith('<option value="" selected>---------</option>')
