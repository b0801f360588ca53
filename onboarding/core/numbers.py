"""One parser for the integers a client writes into a query string or a header.

`str.isdigit()` is true for "²" and "①", which `int()` refuses (a ValueError, a 500 where it
was trusted); `int()` reads "٣" and fullwidth digits, which no form or link of ours writes; and a
number past the database's signed 64-bit integers fails in the SQL driver. Here a number is ASCII
digits, at most one leading minus, within bounds, or it is no number at all (None): the caller
decides what that means (no match, the default page, a field error).
"""

import re

MAX_BIGINT = 2**63 - 1  # every id column: SQLite's INTEGER, PostgreSQL's bigint
MIN_BIGINT = -(2**63)
_ASCII_INTEGER = re.compile(r"-?[0-9]{1,19}")  # 19 digits hold any bigint; no int() of a megabyte


def parse_query_int(
    value: str | None, *, minimum: int = 0, maximum: int = MAX_BIGINT
) -> int | None:
    """`value` as an int if it is written in ASCII digits and lies in [minimum, maximum]; else
    None. Blanks around it are ignored, as a browser's form would send them."""
    if not isinstance(value, str):
        return None
    text = value.strip(" \t")
    if not _ASCII_INTEGER.fullmatch(text):
        return None
    number = int(text)
    return number if max(minimum, MIN_BIGINT) <= number <= min(maximum, MAX_BIGINT) else None
