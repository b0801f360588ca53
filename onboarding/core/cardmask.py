"""Card numbers typed into free text: one notion of what they look like, and their mask.

People paste a card number into whatever box is in front of them (a repair request, a comment, an
address line). Every service that stores or sends free text passes it through `mask_card_numbers`
first, and the audit log's scrubber uses the same detection, so a card number is recognised the
same way everywhere.

A card number is 13 to 19 digits passing the Luhn check, written as one run of digits or as
consecutive groups joined by single spaces or dashes ("4242 4242 4242 4242", "4000-0000-0000-0002",
"3782 822463 10005"). Groups are taken whole: a card typed next to other numbers ("4242 4242 4242
4242 12 26") is still found, and a 20-digit number is not a card. Digits inside a hex digest or
id (20 or more hex characters with a letter among them, or a UUID) are never card numbers: a
SHA-256 once lost 13 of its digits to the audit log's scrubber.
"""

import re
from collections.abc import Callable

# Digit groups joined by up to three separators: white space of any kind (a line break too) or
# a dash of any kind ("4242  4242", groups split over lines). Not dots: timings and versions in
# logs ("200 0.0123 s") would be taken for cards.
_SEPARATORS = "\\s\u00a0\u202f\\-\u2010\u2011\u2012\u2013\u2014\u2212"
_DIGIT_RUN = re.compile(rf"\d+(?:[{_SEPARATORS}]{{1,3}}\d+)*")
_DIGIT_GROUP = re.compile(r"\d+")
# The cheap test first (the audit log runs every message through here): fewer than 13 digits in
# the whole text, no card number. ASCII text (nearly all of it) counts its digits by deleting them
# from its bytes, several times faster than the pattern; other text may hold digits of any script.
_NON_DIGITS = re.compile(r"\D+")
_ASCII_DIGITS = b"0123456789"
# Machine ids and digests: 20 or more hex characters with a letter among them (a SHA-256, a
# UUID's hex, a gateway's "ch_sbx_<24 hex>"), or a UUID with its dashes.
_HEX_TOKEN = re.compile(
    r"(?<![0-9A-Za-z])(?=[0-9]*[a-fA-F])[0-9a-fA-F]{20,}(?![0-9A-Za-z])"
    r"|(?<![0-9A-Za-z-])[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}(?![0-9A-Za-z-])"
)
CARD_MIN_DIGITS = 13
CARD_MAX_DIGITS = 19
MASK_CHAR = "\u2022"  # "•"
KEEP_LAST = 4


def luhn_valid(digits: str) -> bool:
    """The Luhn check of a string of decimal digits (any script: int() reads them all)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def is_card_number(candidate: str) -> bool:
    """True if `candidate` (digits, maybe grouped) has 13-19 digits and passes the Luhn check."""
    digits = "".join(_DIGIT_GROUP.findall(candidate))
    return CARD_MIN_DIGITS <= len(digits) <= CARD_MAX_DIGITS and luhn_valid(digits)


def _cards_in_run(run: re.Match[str]) -> list[tuple[int, int]]:
    """Spans of the card numbers in one run of digit groups, each a whole number of groups;
    the longest card starting at a group wins, and the search goes on after it."""
    groups = [(group.start(), group.end()) for group in _DIGIT_GROUP.finditer(run.group(0))]
    offset = run.start()
    spans = []
    first = 0
    while first < len(groups):
        found = None
        digits = 0
        for last in range(first, len(groups)):
            digits += groups[last][1] - groups[last][0]
            if digits > CARD_MAX_DIGITS:
                break
            start, end = groups[first][0], groups[last][1]
            if digits >= CARD_MIN_DIGITS and is_card_number(run.group(0)[start:end]):
                found = (last, (offset + start, offset + end))
        if found is None:
            first += 1
        else:
            last, span = found
            spans.append(span)
            first = last + 1
    return spans


def _digit_count(text: str) -> int:
    if text.isascii():
        return len(text) - len(text.encode("ascii").translate(None, _ASCII_DIGITS))
    return len(_NON_DIGITS.sub("", text))


def card_number_spans(text: str) -> list[tuple[int, int]]:
    """Where the card numbers are in `text`, as (start, end) pairs, in order."""
    if not text or len(text) < CARD_MIN_DIGITS or _digit_count(text) < CARD_MIN_DIGITS:
        return []
    hex_spans = None
    spans = []
    for run in _DIGIT_RUN.finditer(text):
        if run.end() - run.start() < CARD_MIN_DIGITS:
            continue  # too short to hold a card, separators and all
        if hex_spans is None:
            hex_spans = [match.span() for match in _HEX_TOKEN.finditer(text)]
        if any(low <= run.start() and run.end() <= high for low, high in hex_spans):
            continue
        for start, end in _cards_in_run(run):
            if not any(low <= start and end <= high for low, high in hex_spans):
                spans.append((start, end))
    return spans


def replace_card_numbers(text: str, replacement: str | Callable[[str], str]) -> str:
    """`text` with each card number replaced by `replacement` (or by what it returns for it)."""
    spans = card_number_spans(text)
    if not spans:
        return text
    parts = []
    previous = 0
    for start, end in spans:
        card = text[start:end]
        parts.append(text[previous:start])
        parts.append(replacement(card) if callable(replacement) else replacement)
        previous = end
    parts.append(text[previous:])
    return "".join(parts)


def _mask(card: str) -> str:
    # Every digit but the last four becomes "•"; separators stay, so the length never changes
    # and a field's length limit still holds after masking.
    digit_positions = [index for index, char in enumerate(card) if char.isdecimal()]
    hidden = set(digit_positions[:-KEEP_LAST])
    return "".join(MASK_CHAR if index in hidden else char for index, char in enumerate(card))


def mask_card_numbers(text: str) -> str:
    """`text` with every card number masked but its last four digits:
    "paid with 4242 4242 4242 4242" -> "paid with •••• •••• •••• 4242"."""
    return replace_card_numbers(text, _mask)


def contains_card_number(text: str) -> bool:
    return bool(card_number_spans(text))
