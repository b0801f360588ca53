from typing import ClassVar

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from phonenumber_field.formfields import PhoneNumberField

from onboarding.accounts.models import Contact, Customer, PreferredInbox
from onboarding.core.form_rendering import QUICK_RENDERER


class LongSelect(forms.Select):
    """A select of fixed flat choices (the ~250 countries) whose options are rendered once per
    set of choices and language, then joined. Django renders each option through its own
    template on every request; for the countries that was most of the profile page's CPU. The
    markup is Django's: the attributes the bound field asks for, one <option> per choice.

    The options are kept under `choices_key`: a select of other fixed choices is a subclass
    with its own key."""

    choices_key: ClassVar[str] = "countries"
    _options: ClassVar[dict[tuple[str, str], list[tuple[str, SafeString, SafeString]]]] = {}

    def _rendered_options(self) -> list[tuple[str, SafeString, SafeString]]:
        key = (self.choices_key, get_language() or "")
        if key not in self._options:
            rows = []
            for value, label in self.choices:
                option = "" if value is None else str(value)
                rows.append(
                    (
                        option,
                        format_html('<option value="{}">{}</option>', option, label),
                        format_html('<option value="{}" selected>{}</option>', option, label),
                    )
                )
            self._options[key] = rows
        return self._options[key]

    def use_required_attribute(self, initial) -> bool:
        # Django's Select asks its choices for the first one, and a blank-first choice list
        # walks and sorts all the countries to answer; the rendered options know it already.
        if not super(forms.Select, self).use_required_attribute(initial):
            return False
        rows = self._rendered_options()
        return bool(rows) and rows[0][0] == ""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        chosen = set(self.format_value(value))
        options = SafeString(
            "".join(
                selected if option in chosen else plain
                for option, plain, selected in self._rendered_options()
            )
        )
        final = self.build_attrs(self.attrs, attrs)
        return format_html("<select{}>\n{}\n</select>", flatatt({"name": name, **final}), options)


class ProfileForm(forms.ModelForm):
    default_renderer = QUICK_RENDERER

    preferred_inbox = forms.ChoiceField(
        choices=PreferredInbox.choices,
        widget=forms.RadioSelect,
        help_text="Where we send notices about invoices, payments and your contract.",
    )
    phone = PhoneNumberField(
        required=False, help_text="With the country code, e.g. +44 20 7946 0000."
    )

    class Meta:
        model = Customer
        fields = list(Customer.PROFILE_FIELDS)
        widgets = {"country": LongSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in Customer.REQUIRED_FOR_PURCHASE:
            self.fields[name].required = True

    def profile_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in Customer.PROFILE_FIELDS}


class ContactForm(forms.ModelForm):
    default_renderer = QUICK_RENDERER

    phone = PhoneNumberField(required=False, help_text="With the country code.")

    class Meta:
        model = Contact
        fields = ["name", "role", "email", "phone"]
