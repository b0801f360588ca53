"""Showing a service's refusal on the form that asked for it, in one place."""

from django import forms
from django.core.exceptions import ValidationError

from onboarding.core.errors import DomainError


def form_error_from(form: forms.Form, error: DomainError | ValidationError) -> None:
    """Attach `error` to the field it names, or to the whole form."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, error)
        return
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)
