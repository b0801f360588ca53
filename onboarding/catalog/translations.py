"""The catalogue's prose in the customer's language (issue 20, docs/i18n.md "Catalogue data").

A product's and a plan's prose (description; summary, "includes", unit words) is written in
English in its own fields; the other languages sit beside it in the row's `translations`:

    {"de": {"summary": "...", "includes": "one item\\nper line"}, "fr": {...}}

Names (product and plan names) are names and are not translated. A text missing in a language,
or blank, is shown in English: a half-translated plan still reads whole.
"""

from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

SOURCE_LANGUAGE = "en"


def other_languages() -> list[str]:
    """The languages the site speaks besides English, in settings order."""
    return [code for code, _name in settings.LANGUAGES if code != SOURCE_LANGUAGE]


def base_language(language: str | None = None) -> str:
    """`language` (default: the active one) without its region: "de" for "de-at"."""
    code = language if language is not None else translation.get_language()
    return str(code or SOURCE_LANGUAGE).replace("_", "-").split("-")[0].lower()


def translations_check(value, fields: tuple[str, ...]) -> dict:
    """`value` as stored (languages and fields with non-blank text only), or ValidationError
    naming what is wrong: a language the site does not speak (English is the row's own fields),
    a field that is not translatable, a text that is not a string."""
    if value in (None, ""):
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(_("Give the texts as an object by language code."), code="invalid")
    known = other_languages()
    errors = []
    cleaned: dict[str, dict[str, str]] = {}
    for language, texts in value.items():
        if language not in known:
            errors.append(
                ValidationError(
                    _("%(language)s is not a language of this site; use one of: %(known)s."),
                    code="language",
                    params={"language": language, "known": ", ".join(known)},
                )
            )
            continue
        if not isinstance(texts, Mapping):
            errors.append(
                ValidationError(
                    _("%(language)s: give an object of texts by field."),
                    code="invalid",
                    params={"language": language},
                )
            )
            continue
        for field, text in texts.items():
            if field not in fields:
                errors.append(
                    ValidationError(
                        _("%(language)s: %(field)s is not translated here; use: %(fields)s."),
                        code="field",
                        params={"language": language, "field": field, "fields": ", ".join(fields)},
                    )
                )
            elif not isinstance(text, str):
                errors.append(
                    ValidationError(
                        _("%(language)s: %(field)s must be text."),
                        code="invalid",
                        params={"language": language, "field": field},
                    )
                )
            elif text.strip():
                cleaned.setdefault(language, {})[field] = text.strip()
    if errors:
        raise ValidationError(errors)
    return cleaned


def text_in(translations: Mapping | None, field: str, english: str, language: str | None) -> str:
    """The text of `field` in `language` (default: the active one), else `english`."""
    language = base_language(language)
    if language == SOURCE_LANGUAGE or not translations:
        return english
    texts = translations.get(language)
    text = texts.get(field, "") if isinstance(texts, Mapping) else ""
    return text.strip() if isinstance(text, str) and text.strip() else english


def lines_of(text: str) -> list[str]:
    """One item per non-blank line (a plan's "includes")."""
    return [line.strip() for line in text.splitlines() if line.strip()]
