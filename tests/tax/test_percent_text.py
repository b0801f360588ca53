"""A tax rate written as each reader writes a percentage (docs/i18n.md)."""

import pytest
from django.utils import translation

from onboarding.tax.models import percent_of


@pytest.mark.parametrize(
    ("language", "rate_bp", "written"),
    [
        ("en", 1900, "19%"),
        ("en", 2550, "25.5%"),
        ("en", 0, "0%"),
        ("en", 1, "0.01%"),
        ("de", 1900, "19\xa0%"),
        ("de", 770, "7,7\xa0%"),
        ("fr", 2000, "20\xa0%"),
        ("fr", 550, "5,5\xa0%"),
    ],
)
def test_a_rate_is_written_in_the_active_language(language, rate_bp, written):
    with translation.override(language):
        assert percent_of(rate_bp) == written


def test_a_language_named_outright_wins_over_the_active_one():
    with translation.override("de"):
        assert percent_of(2550, language="en") == "25.5%"
    assert percent_of(2550, language="fr") == "25,5\xa0%"


def test_a_language_babel_does_not_know_is_written_as_english():
    assert percent_of(1900, language="xx") == "19%"
