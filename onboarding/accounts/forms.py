from typing import ClassVar

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from phonenumber_field.formfields import PhoneNumberField

from onboarding.accounts.models import Contact, Customer, PreferredInbox


class LongSelect(forms.Select):
    """A select of fixed flat choices (the ~250 countries) whose options are rendered once per
    field name and language, then joined. Django renders each option through its own template
    on every request; for the countries that was most of the profile page's CPU. The markup is
    Django's: the attributes the bound field asks for, one <option> per choice."""

    _options: ClassVar[dict[tuple[str, str], list[tuple[str, SafeString, SafeString]]]] = {}

    def _rendered_options(self, name: str) -> list[tuple[str, SafeString, SafeString]]:
        key = (name, get_language() or "")
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

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        chosen = set(self.format_value(value))
        options = SafeString(
            "".join(
                selected if option in chosen else plain
                for option, plain, selected in self._rendered_options(name)
            )
        )
        final = self.build_attrs(self.attrs, attrs)
        return format_html("<select{}>\n{}\n</select>", flatatt({"name": name, **final}), options)


class ProfileForm(forms.ModelForm):
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
    phone = PhoneNumberField(required=False, help_text="With the country code.")

    class Meta:
        model = Contact
        fields = ["name", "role", "email", "phone"]
