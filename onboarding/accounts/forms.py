from django import forms
from phonenumber_field.formfields import PhoneNumberField

from onboarding.accounts.models import Contact, Customer, PreferredInbox


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
