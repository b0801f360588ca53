"""Day counts in words: {{ n|days_ago }} and {{ n|days }} (core/templatetags/day_counts)."""

import pytest
from django.template import Context, Template


def _render(source: str, **context) -> str:
    return Template("{% load day_counts %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("count", "said"),
    [
        (0, "today"),
        (1, "yesterday"),
        (2, "2 days ago"),
        (33, "33 days ago"),
        (-1, "tomorrow"),
        (-4, "in 4 days"),
        (None, ""),
    ],
)
def test_days_ago_says_today_yesterday_or_n_days_ago(count, said):
    assert _render("{{ n|days_ago }}", n=count) == said


@pytest.mark.parametrize(
    ("count", "said"),
    [(0, "0 days"), (1, "1 day"), (2, "2 days"), (-1, "-1 day"), (-3, "-3 days"), (None, "")],
)
def test_days_puts_the_noun_in_the_singular_only_for_one(count, said):
    assert _render("{{ n|days }}", n=count) == said


@pytest.mark.parametrize("junk", ["soon", object(), True, [3]])
def test_a_value_that_is_not_a_whole_number_renders_as_nothing_instead_of_failing(junk):
    assert _render("[{{ n|days }}|{{ n|days_ago }}]", n=junk) == "[|]"


def test_a_numeric_string_is_counted_like_its_number():
    assert _render("{{ n|days_ago }} / {{ n|days }}", n="1") == "yesterday / 1 day"
