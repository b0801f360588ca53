"""The quick widget rendering prints exactly what the form renderer in use prints."""

from pathlib import Path

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, Jinja2, TemplatesSetting
from django.test import override_settings
from django.utils.safestring import mark_safe

from onboarding.accounts.forms import ContactForm, ProfileForm
from onboarding.billing.forms import CycleForm
from onboarding.billing.selectors import plan_cycle_offers
from onboarding.core.form_rendering import QUICK_RENDERER, QuickWidgetRenderer
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
    return {"offers": plan_cycle_offers(plan=plan, currency="EUR"), "initial": {"cycle": "annual"}}


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
    assert QUICK_RENDERER._builds_for(QUICK_RENDERER.base)  # the project's renderer: Django's own


@pytest.mark.django_db
def test_the_country_select_is_required_and_offers_a_blank_first():
    form = ProfileForm()
    html = str(form["country"])
    assert " required" in html.split(">", 1)[0]
    assert html.split("\n")[1].startswith('<option value="" selected>---------</option>')


DJANGO_FORM_TEMPLATES = Path(forms.__file__).resolve().parent / "templates"


def templates_setting(*dirs: Path, **options) -> dict:
    """Settings for TemplatesSetting: the project's engine, reading `dirs` before Django's own."""
    engine = {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [*dirs, DJANGO_FORM_TEMPLATES],
        "OPTIONS": options,
    }
    return {"FORM_RENDERER": "django.forms.renderers.TemplatesSetting", "TEMPLATES": [engine]}


class ParagraphRenderer(DjangoTemplates):
    """A project's renderer that lays forms out in paragraphs."""

    form_template_name = "django/forms/p.html"


class ShoutingRenderer(DjangoTemplates):
    """A project's renderer that renders in its own way."""

    def render(self, template_name, context, request=None):
        return super().render(template_name, context, request).replace("<input", "<INPUT")


class NamedContactForm(forms.Form):
    name = forms.CharField()
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
    default_renderer = QUICK_RENDERER


class ContactFormInItsOwnTemplate(NamedContactForm):
    template_name = "own_form.html"


class CountedRadio(forms.RadioSelect):
    option_template_name = "counted_option.html"


class CountedChoiceForm(forms.Form):
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=CountedRadio)
    default_renderer = QUICK_RENDERER


def test_a_form_with_its_own_template_name_renders_that_template(tmp_path):
    (tmp_path / "own_form.html").write_text(
        '<section class="own">{% for field in form %}{{ field }}{% endfor %}</section>'
    )
    with override_settings(**templates_setting(tmp_path)):
        html = str(ContactFormInItsOwnTemplate())
        expected = str(ContactFormInItsOwnTemplate(renderer=TemplatesSetting()))
    assert html.startswith('<section class="own"><input type="text" name="name"')
    assert html == expected


@override_settings(FORM_RENDERER="tests.core.test_form_rendering.ParagraphRenderer")
def test_forms_take_their_layout_from_the_configured_renderer():
    html = str(NamedContactForm())
    assert html.startswith("<p>")
    assert html == str(NamedContactForm(renderer=ParagraphRenderer()))


def test_forms_take_their_layout_from_the_renderer_given():
    quick = QuickWidgetRenderer(ParagraphRenderer())
    html = str(NamedContactForm(renderer=quick))
    assert html.startswith("<p>")
    assert html == str(NamedContactForm(renderer=ParagraphRenderer()))


def test_a_project_overriding_a_widget_template_gets_its_template(tmp_path):
    widgets = tmp_path / "django" / "forms" / "widgets"
    widgets.mkdir(parents=True)
    (widgets / "text.html").write_text('<input class="project" name="{{ widget.name }}">')
    with override_settings(**templates_setting(tmp_path)):
        quick = rendered(NamedContactForm, None, QUICK_RENDERER)
        expected = rendered(NamedContactForm, None, TemplatesSetting())
    assert quick[0] == '<input class="project" name="name">'
    assert quick == expected


def test_the_projects_engine_reading_djangos_widget_templates_still_renders_them_quickly():
    with override_settings(**templates_setting()):
        quick = rendered(EveryInput, None, QUICK_RENDERER)
        assert QUICK_RENDERER._builds_for(QUICK_RENDERER.base)
    assert quick == rendered(EveryInput, None, DJANGO)


def test_an_engine_printing_missing_values_gets_its_own_output():
    with override_settings(**templates_setting(string_if_invalid="MISSING")):
        quick = rendered(EveryInput, None, QUICK_RENDERER, auto_id=False)
        expected = rendered(EveryInput, None, TemplatesSetting(), auto_id=False)
    assert any("MISSING" in html for html in expected)
    assert quick == expected


def test_a_renderer_with_its_own_way_of_rendering_gets_its_own_output():
    quick = rendered(NamedContactForm, None, QuickWidgetRenderer(ShoutingRenderer()))
    assert quick[0].startswith("<INPUT")
    assert quick == rendered(NamedContactForm, None, ShoutingRenderer())


@override_settings(FORM_RENDERER="django.forms.renderers.Jinja2")
def test_a_jinja2_renderer_gets_its_own_output():
    assert rendered(EveryInput, None, QUICK_RENDERER) == rendered(EveryInput, None, Jinja2())


def test_an_option_in_a_template_of_its_own_is_rendered_by_the_whole_list_template(tmp_path):
    (tmp_path / "counted_option.html").write_text(
        '{{ forloop.counter }}. {% include "django/forms/widgets/input.html" %}'
    )
    with override_settings(**templates_setting(tmp_path)):
        quick = str(CountedChoiceForm()["kind"])
        expected = str(CountedChoiceForm(renderer=TemplatesSetting())["kind"])
    assert "1. <input" in quick
    assert quick == expected
