"""Crafted numbers for the API fuzz tests: every integer-like parameter of an operation also gets
Unicode digits, integers past the database's bigint and negatives.

schemathesis draws integers for integer parameters and arbitrary text for string ones, so it
seldom writes "²" (str.isdigit() is true, int() fails), "٣" (int() reads it) or 2**63 into an
id, a page or a search. `crafted_cases` takes one valid case of an operation and yields a copy
per integer-like parameter and crafted value, the rest of the request left valid so the value
reaches the handler.
"""

from collections.abc import Iterator

from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

CRAFTED_NUMBERS = [
    "²",  # str.isdigit() is true, int() fails
    "٣",  # Arabic-Indic three: int() reads it as 3
    "\uff11\uff12",  # "12" in fullwidth digits: int() reads it as 12
    str(2**63),  # one past the signed 64-bit range of every id column
    str(10**30),
    "-1",
    str(-(2**63) - 1),
]
# String parameters that carry numbers: ids, pages, cursors, searches that match ids.
NUMBER_NAMES = {"q", "search", "page", "after", "before", "assignee", "limit", "offset", "size"}


def _is_integer(schema: dict) -> bool:
    return schema.get("type") == "integer" or any(_is_integer(s) for s in schema.get("anyOf", []))


def integer_like(operation) -> list[tuple[str, str]]:
    """(location, name) of each path or query parameter that is, or may hold, an integer."""
    found = []
    for location, parameters in (
        ("path", operation.path_parameters),
        ("query", operation.query),
    ):
        for parameter in parameters:
            definition = parameter.definition
            if (
                _is_integer(definition.get("schema", {}))
                or parameter.name.endswith("_id")
                or parameter.name in NUMBER_NAMES
            ):
                found.append((location, parameter.name))
    return found


def crafted_cases(case, *, path_parameters: dict | None = None) -> Iterator[tuple[str, object]]:
    """(label, case) for each integer-like parameter of `case`'s operation and crafted value.
    `path_parameters` replaces the generated ones first (ids of rows that exist)."""
    for location, name in integer_like(case.operation):
        for value in CRAFTED_NUMBERS:
            variant = case.derive(query=dict(case.query or {}))
            variant.path_parameters = {**(case.path_parameters or {}), **(path_parameters or {})}
            target = variant.path_parameters if location == "path" else variant.query
            target[name] = value
            yield f"{location} {name}={value!r}", variant


def run_crafted(operation, answer, *, path_parameters: dict | None = None) -> int:
    """Draw one valid case of `operation` and call `answer(label, case)` for each crafted copy;
    return how many were made (0 when the operation has no integer-like parameter)."""
    made = 0
    if not integer_like(operation):
        return made

    @settings(
        max_examples=1,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=[Phase.generate],
    )
    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    def each(case):
        nonlocal made
        for label, variant in crafted_cases(case, path_parameters=path_parameters):
            answer(label, variant)
            made += 1

    each()
    return made
