"""The translation catalogues (docs/i18n.md): the committed ones are complete and current, and the
check `make lint` runs finds each kind of problem; Babel compiles them without GNU gettext."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from onboarding.core.catalogues import (
    MessageKey,
    catalogue_problems,
    compile_catalogues,
    extracted_messages,
    translated_languages,
)

PO = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "Sign in"
msgstr "Anmelden"

#, fuzzy
msgid "Sign out"
msgstr "Abmelden"

msgid "Menu"
msgstr ""

msgid "Gone"
msgstr "Weg"
"""


def test_the_committed_catalogues_are_complete_and_current(capsys):
    call_command("check_catalogues")
    assert "translated in de, fr" in capsys.readouterr().out
    assert translated_languages() == ["de", "fr"]


def test_marked_strings_are_found_in_templates_and_python():
    found = extracted_messages()
    # {% translate %} in a template, {% blocktranslate %} with a variable, gettext_lazy in Python,
    # and a pgettext context.
    assert MessageKey("", "Sign in") in found
    assert MessageKey("", "%(name)s · support contracts") in found
    assert MessageKey("", "Your purchase of {plan}") in found
    assert MessageKey("billed ...", "annually") in found
    assert "templates/base.html" in found[MessageKey("", "Sign in")]


def test_each_kind_of_problem_is_reported(settings, tmp_path):
    (tmp_path / "de" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "de" / "LC_MESSAGES" / "django.po").write_text(PO, encoding="utf-8")
    settings.LOCALE_PATHS = [tmp_path]
    expected = {
        MessageKey("", "Sign in"): {"a.html"},
        MessageKey("", "Sign out"): {"a.html"},
        MessageKey("", "Menu"): {"a.html"},
        MessageKey("", "New"): {"b.html"},
    }
    problems = "\n".join(catalogue_problems("de", expected))
    assert "fuzzy: 'Sign out'" in problems
    assert "untranslated: 'Menu'" in problems
    assert "no longer used in the sources: 'Gone'" in problems
    assert "missing: 'New' (marked in b.html)" in problems
    assert "'Sign in'" not in problems
    assert "missing (run" in "\n".join(catalogue_problems("fr", expected))


def test_the_check_fails_the_lint_on_a_problem(settings, tmp_path):
    settings.LOCALE_PATHS = [tmp_path]  # no catalogue at all
    with pytest.raises(CommandError, match="problem"):
        call_command("check_catalogues")


def test_babel_compiles_what_django_then_reads(settings, tmp_path):
    (tmp_path / "de" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "de" / "LC_MESSAGES" / "django.po").write_text(PO, encoding="utf-8")
    settings.LOCALE_PATHS = [tmp_path]
    assert compile_catalogues() == [tmp_path / "de" / "LC_MESSAGES" / "django.mo"]
    assert compile_catalogues() == []  # up to date: nothing to do
    # The committed catalogue, compiled at the session's start, is what pages read.
    settings.LOCALE_PATHS = [settings.BASE_DIR / "locale"]
    with translation.override("de"):
        assert translation.gettext("Change language") == "Sprache ändern"
