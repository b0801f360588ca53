"""Showing a service's refusal on the form that asked for it, in one place."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

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


@dataclass
class Outcome:
    """Whether the block under `refusals_on` ran through without a refusal."""

    ok: bool = False


@contextmanager
def refusals_on(
    form: forms.Form | None = None, *, request: HttpRequest | None = None
) -> Iterator[Outcome]:
    """Run a service call; a refusal (DomainError, ValidationError) lands on `form`, field by
    field, or as an error message on `request` when there is no form. Anything else propagates
    (the service's failure boundary has reported it already).

        with refusals_on(form) as outcome:
            customer_profile_update(...)
        if outcome.ok:
            return redirect(...)
    """
    outcome = Outcome()
    try:
        yield outcome
    except (DomainError, ValidationError) as refusal:
        if form is not None:
            form_error_from(form, refusal)
        elif request is not None:
            messages.error(request, _message_of(refusal))
        else:
            raise
    else:
        outcome.ok = True


def _message_of(refusal: DomainError | ValidationError) -> str:
    if isinstance(refusal, DomainError):
        return refusal.message
    return " ".join(refusal.messages)
