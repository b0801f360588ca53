"""onboarding.core.numbers: the one parser for integers from query strings and headers."""

import pytest

from onboarding.core.numbers import MAX_BIGINT, parse_query_int

FULLWIDTH_12 = "\uff11\uff12"  # "12" in fullwidth digits, which int() reads


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 0), ("7", 7), (" 42 ", 42), ("007", 7), (str(MAX_BIGINT), MAX_BIGINT)],
)
def test_ascii_digits_are_a_number(value, expected):
    assert parse_query_int(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "²",  # str.isdigit() is true, int() fails
        "¹²³",
        "①",
        "٣",  # Arabic-Indic three: int() reads it, no form of ours writes it
        FULLWIDTH_12,
        "1_000",  # int() reads it too
        "+5",
        "1.0",
        "1e3",
        "0x10",
        "",
        " ",
        "12\n",
        "1 2",
        None,
    ],
)
def test_anything_but_ascii_digits_is_no_number(value):
    assert parse_query_int(value) is None


@pytest.mark.parametrize("value", [str(2**63), str(10**30), "9" * 5000])
def test_a_number_past_the_bigint_range_is_no_number(value):
    assert parse_query_int(value) is None


def test_bounds_are_inclusive_and_cannot_widen_past_bigint():
    assert parse_query_int("1", minimum=1, maximum=5) == 1
    assert parse_query_int("5", minimum=1, maximum=5) == 5
    assert parse_query_int("0", minimum=1, maximum=5) is None
    assert parse_query_int("6", minimum=1, maximum=5) is None
    assert parse_query_int(str(2**63), maximum=2**70) is None


def test_negatives_only_where_the_minimum_allows_them():
    assert parse_query_int("-1") is None
    assert parse_query_int("-1", minimum=-10) == -1
    assert parse_query_int(str(-(2**63)), minimum=-(2**80)) == -(2**63)
    assert parse_query_int(str(-(2**63) - 1), minimum=-(2**80)) is None
