"""The API's error messages in the caller's language (`Accept-Language`, through LocaleMiddleware).

pydantic writes its validation messages in English ("Field required", "String should have at
most 20 characters"). Each error also carries its `type` code and the values it was checked
against (`ctx`), so a message is rewritten here from those in the active language. In English
the errors are left exactly as pydantic wrote them (clients and tests read them); a type not
listed below gets a general translated message, never English, and keeps its `type` and `loc`
so a client can still tell what failed.

The project's own messages (the envelope's "Not found.", the NUL refusal, 401, 405) are marked
with gettext where they are made.
"""

import re
from collections.abc import Callable
from typing import Any

from django.utils.translation import get_language, gettext_lazy, ngettext

# The general message for a type the table below does not know.
INVALID = gettext_lazy("This value is not valid.")

# django-ninja's own answers, by their English text (kept as it is in English).
HTTP_MESSAGES = {
    "Unauthorized": gettext_lazy("Unauthorized"),
    "CSRF check Failed": gettext_lazy("CSRF check Failed"),
    "Forbidden": gettext_lazy("Forbidden"),
}


def _text(message: Any) -> Callable[[dict], str]:
    """A message with `{name}` placeholders filled from the error's ctx."""

    def write(ctx: dict) -> str:
        return str(message).format(**{key: _shown(value) for key, value in ctx.items()})

    return write


def _shown(value: Any) -> str:
    # pydantic lists the allowed values as "'a', 'b' or 'c'"; the "or" is English.
    if isinstance(value, str):
        return re.sub(r"' or '", "', '", value)
    return str(value)


def _min_length(ctx: dict) -> str:
    n = int(ctx.get("min_length", 0))
    return ngettext("Enter at least %(n)d character.", "Enter at least %(n)d characters.", n) % {
        "n": n
    }


def _max_length(ctx: dict) -> str:
    n = int(ctx.get("max_length", 0))
    return ngettext("Enter at most %(n)d character.", "Enter at most %(n)d characters.", n) % {
        "n": n
    }


def _min_items(ctx: dict) -> str:
    n = int(ctx.get("min_length", 0))
    return ngettext("Give at least %(n)d item.", "Give at least %(n)d items.", n) % {"n": n}


def _max_items(ctx: dict) -> str:
    n = int(ctx.get("max_length", 0))
    return ngettext("Give at most %(n)d item.", "Give at most %(n)d items.", n) % {"n": n}


def _value_error(ctx: dict) -> str:
    # A validator's own words (ValueError's text), marked for translation where it is raised.
    return str(ctx["error"])


# pydantic's error type -> its message in the active language.
PYDANTIC_MESSAGES: dict[str, Callable[[dict], str]] = {
    "missing": _text(gettext_lazy("This field is required.")),
    "string_type": _text(gettext_lazy("Enter text.")),
    "string_too_short": _min_length,
    "string_too_long": _max_length,
    "string_pattern_mismatch": _text(gettext_lazy("Enter a value in the expected format.")),
    "string_unicode": _text(gettext_lazy("Enter valid text.")),
    "int_type": _text(gettext_lazy("Enter a whole number.")),
    "int_parsing": _text(gettext_lazy("Enter a whole number.")),
    "int_from_float": _text(gettext_lazy("Enter a whole number.")),
    "int_parsing_size": _text(gettext_lazy("Enter a smaller number.")),
    "float_type": _text(gettext_lazy("Enter a number.")),
    "float_parsing": _text(gettext_lazy("Enter a number.")),
    "decimal_type": _text(gettext_lazy("Enter a number.")),
    "decimal_parsing": _text(gettext_lazy("Enter a number.")),
    "finite_number": _text(gettext_lazy("Enter a finite number.")),
    "bool_type": _text(gettext_lazy("Enter true or false.")),
    "bool_parsing": _text(gettext_lazy("Enter true or false.")),
    "greater_than": _text(gettext_lazy("Enter a value greater than {gt}.")),
    "greater_than_equal": _text(gettext_lazy("Enter a value of at least {ge}.")),
    "less_than": _text(gettext_lazy("Enter a value less than {lt}.")),
    "less_than_equal": _text(gettext_lazy("Enter a value of at most {le}.")),
    "multiple_of": _text(gettext_lazy("Enter a multiple of {multiple_of}.")),
    "literal_error": _text(gettext_lazy("Choose one of: {expected}.")),
    "enum": _text(gettext_lazy("Choose one of: {expected}.")),
    "list_type": _text(gettext_lazy("Give a list.")),
    "too_short": _min_items,
    "too_long": _max_items,
    "dict_type": _text(gettext_lazy("Give an object.")),
    "model_type": _text(gettext_lazy("Give an object.")),
    "model_attributes_type": _text(gettext_lazy("Give an object.")),
    "date_type": _text(gettext_lazy("Enter a valid date.")),
    "date_parsing": _text(gettext_lazy("Enter a valid date (YYYY-MM-DD).")),
    "date_from_datetime_parsing": _text(gettext_lazy("Enter a valid date (YYYY-MM-DD).")),
    "datetime_type": _text(gettext_lazy("Enter a valid date and time.")),
    "datetime_parsing": _text(gettext_lazy("Enter a valid date and time (ISO 8601).")),
    "datetime_from_date_parsing": _text(gettext_lazy("Enter a valid date and time (ISO 8601).")),
    "timezone_aware": _text(gettext_lazy("Give a time zone with the date and time.")),
    "uuid_type": _text(gettext_lazy("Enter a valid UUID.")),
    "uuid_parsing": _text(gettext_lazy("Enter a valid UUID.")),
    "url_type": _text(gettext_lazy("Enter a valid URL.")),
    "url_parsing": _text(gettext_lazy("Enter a valid URL.")),
    "url_scheme": _text(gettext_lazy("Enter a valid URL.")),
    "extra_forbidden": _text(gettext_lazy("This field is not allowed.")),
    "json_invalid": _text(gettext_lazy("The body is not valid JSON.")),
    "json_type": _text(gettext_lazy("The body is not valid JSON.")),
    "value_error": _value_error,
}


def _message(error: dict) -> str:
    kind = str(error.get("type", ""))
    if kind == "value_error" and not error.get("ctx"):
        return str(error.get("msg", ""))  # the project's own (the NUL refusal): translated already
    write = PYDANTIC_MESSAGES.get(kind)
    if write is None:
        return str(INVALID)
    try:
        return write(dict(error.get("ctx") or {}))
    except (KeyError, ValueError, TypeError):  # a ctx without the value the message names
        return str(INVALID)


def translated_errors(errors: list[dict]) -> list[dict]:
    """`errors` (ninja's 422 list) with each `msg` in the active language; English: as given."""
    if (get_language() or "en").split("-")[0] == "en":
        return errors
    return [{**error, "msg": _message(error)} for error in errors]


def translated_http_error(message: str) -> str:
    """django-ninja's own HttpError text (401, the CSRF 403) in the active language."""
    known = HTTP_MESSAGES.get(message)
    return str(known) if known is not None else message
