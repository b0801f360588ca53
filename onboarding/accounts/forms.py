from typing import ClassVar

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from onboarding.accounts.models import Contact, Customer, PreferredInbox
from onboarding.core.form_rendering import QUICK_RENDERER
from onboarding.core.time_zones import time_zone_choices


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


class TimeZoneSelect(LongSelect):
    """The IANA zones, the customer's country's first: its options rendered once per country
    (set `choices_key` per form: `time_zones:<country>`)."""

    choices_key: ClassVar[str] = "time_zones:"


class ProfileForm(forms.ModelForm):
    default_renderer = QUICK_RENDERER

    preferred_inbox = forms.ChoiceField(
        label=_("Preferred inbox"),
        choices=[
            (PreferredInbox.EMAIL, _("Email")),
            (PreferredInbox.IN_APP, _("In-app inbox")),
        ],
        widget=forms.RadioSelect,
        help_text=_("Where we send notices about invoices, payments and your contract."),
    )
    phone = PhoneNumberField(
        label=_("Phone"),
        required=False,
        help_text=_("With the country code, e.g. +44 20 7946 0000."),
    )

    class Meta:
        model = Customer
        fields = list(Customer.PROFILE_FIELDS)
        widgets = {"country": LongSelect}
        # The model's English names, translated here (a model's verbose names would need a
        # migration per wording).
        labels = {
            "company": _("Company"),
            "vat_number": _("VAT number"),
            "address_line1": _("Address"),
            "address_line2": _("Address (line 2)"),
            "city": _("City"),
            "postal_code": _("Postal code"),
            "region": _("State or region"),
            "country": _("Country"),
            "language": _("Language"),
        }
        help_texts = {
            "vat_number": _("With the country prefix, e.g. DE123456789. Printed on your invoices."),
            "language": _("Pages, emails and notices are written in it."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in Customer.REQUIRED_FOR_PURCHASE:
            self.fields[name].required = True
        country = str(self.instance.country or "")
        self.fields["time_zone"] = forms.ChoiceField(
            label=_("Time zone"),
            required=False,
            choices=time_zone_choices(country),
            widget=TimeZoneSelect,
            help_text=_("Your service hours are counted in it. Blank: your country's main zone."),
        )
        self.fields["time_zone"].widget.choices_key = f"time_zones:{country}"
        # Left out of a post (an older form, a script): the language stays as it was.
        self.fields["language"].required = False

    def clean_language(self) -> str:
        return self.cleaned_data.get("language") or self.instance.language

    def profile_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in Customer.PROFILE_FIELDS}


class ContactForm(forms.ModelForm):
    default_renderer = QUICK_RENDERER

    phone = PhoneNumberField(
        label=_("Phone"), required=False, help_text=_("With the country code.")
    )

    class Meta:
        model = Contact
        fields = ["name", "role", "email", "phone"]
        labels: ClassVar = {"name": _("Name"), "role": _("Role"), "email": _("Email")}
        help_texts: ClassVar = {"role": _("e.g. Billing, Technical, Escalation")}


# The strength refusals, the most useful first: length is the one fix that always works; a
# similarity to the address names the thing to avoid; the estimator's refusal carries its own
# advice; the rest say "guessable" less precisely. Codes of Django's validators and of
# accounts/validators.py.
PASSWORD_REFUSAL_ORDER = (
    "password_too_short",
    "password_too_similar",
    "password_too_guessable",
    "password_repetitive",
    "password_breached_looking",
    "password_too_common",
    "password_entirely_numeric",
)
PASSWORDS_DIFFER = _("You must type the same password each time.")


def most_useful_refusal(errors: list[ValidationError]) -> ValidationError:
    """The one strength refusal to show of those a password got (several say the same)."""
    rank = {code: place for place, code in enumerate(PASSWORD_REFUSAL_ORDER)}
    return min(errors, key=lambda error: rank.get(error.code, len(rank)))


class SignupForm(AllauthSignupForm):
    """allauth's sign-up (settings.ACCOUNT_FORMS["signup"]) with one strength message for a weak
    password, not each validator's overlapping one, and the second box's mismatch said even when
    the first password is refused (allauth compares them only when the first passed)."""

    language = forms.ChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        required=False,
        help_text=_("Pages, emails and notices are written in it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The browser's language (LocaleMiddleware activated it) until the visitor picks one;
        # last, after the passwords.
        self.fields["language"] = self.fields.pop("language")
        self.fields["language"].initial = get_language()

    def clean(self) -> dict:
        cleaned = super().clean()
        refusals = self.errors.get("password1")
        if refusals:
            self.errors["password1"] = self.error_class(
                [most_useful_refusal(refusals.as_data())], renderer=self.renderer
            )
            typed = self.data.get("password1", "")
            again = cleaned.get("password2")
            if again and typed != again and "password2" not in self.errors:
                self.add_error("password2", PASSWORDS_DIFFER)
        return cleaned
