"""Find text in templates that a reader sees but that is not marked for translation.

`manage.py check_unmarked_strings` (run by `make lint`) reads every template under
TRANSLATED_TEMPLATES and names, by file and line, each piece of visible text outside
{% translate %} / {% blocktranslate %}: an HTML text node with a letter in it, and the values of
the attributes a reader sees or hears (title, placeholder, aria-label, alt). Template tags,
variables and comments are not text; neither is the inside of <script> and <style>. A plain-text
template (.txt, an email's text part) has no markup: every letter outside a tag is text.

TRANSLATED_TEMPLATES holds the project's template roots (paths from the project's root; a
directory covers the .html and .txt files under it), so every template is checked.
"""

import re
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings
from django.template.base import Lexer, TokenType

# Every template is translated (issue 20): the site's own and each app's. A template added
# anywhere under these is checked without being listed.
TRANSLATED_TEMPLATES: tuple[str, ...] = ("templates", "onboarding")

# Words that are the same in every language: the brand, the time zone's name.
SAME_IN_EVERY_LANGUAGE = {"Onboarding", "UTC", "PDF"}
# A link written out in a text email (a path, or an address with its scheme) is not prose.
# (A link may start with a variable: `{{ site }}/account/`.)
LINK = re.compile(r"^\ue000*(/|https?://|mailto:)\S*$")

SEEN_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
TEMPLATE_SUFFIXES = {".html", ".txt"}
# What a template tag or variable leaves in the text: no letter, and the line count kept.
HOLE = "\ue000"
LETTER = re.compile(r"[^\W\d_]")
TRANSLATE_TAGS = {"translate", "trans"}
BLOCK_TAGS = {"blocktranslate": "endblocktranslate", "blocktrans": "endblocktrans"}
SKIPPED_BLOCKS = {"comment": "endcomment", "verbatim": "endverbatim", **BLOCK_TAGS}


@dataclass(frozen=True)
class Unmarked:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: not marked for translation: {self.text!r}"


def _masked(source: str) -> str:
    """`source` with every tag, variable and comment (and what blocktranslate and comment
    enclose) replaced by HOLE plus the newlines it spanned, so line numbers stay right."""
    out = []
    closing: str | None = None
    for token in Lexer(source).tokenize():
        raw = _raw(token)
        if closing is not None:
            if token.token_type == TokenType.BLOCK and token.split_contents()[0] == closing:
                closing = None
            out.append(HOLE + "\n" * raw.count("\n"))
            continue
        if token.token_type == TokenType.TEXT:
            out.append(raw)
            continue
        if token.token_type == TokenType.BLOCK:
            name = token.split_contents()[0] if token.contents else ""
            closing = SKIPPED_BLOCKS.get(name)
        out.append(HOLE + "\n" * raw.count("\n"))
    return "".join(out)


def _raw(token) -> str:
    if token.token_type == TokenType.TEXT:
        return token.contents
    # The lexer keeps the inside of a tag; its newlines are what counts for line numbers.
    return "{%" + token.contents + "%}"


def _visible(text: str) -> str | None:
    words = unescape(text).split()
    prose = [w for w in words if not LINK.match(w)]
    prose = [w for w in " ".join(prose).replace(HOLE, " ").split()]
    prose = [w for w in prose if w.strip(".,:;·()") not in SAME_IN_EVERY_LANGUAGE]
    shown = " ".join(" ".join(words).replace(HOLE, " ").split())
    return shown if any(LETTER.search(w) for w in prose) else None


class _Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found: list[tuple[int, str]] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        for name, value in attrs:
            if name in SEEN_ATTRIBUTES and value and (text := _visible(value)):
                self.found.append((line, f"{name}={text}"))
        if tag in ("script", "style"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        text = _visible(data)
        if text:
            # The line of the first letter, not of the whitespace before it.
            start = self.getpos()[0] + data[: LETTER.search(unescape(data)).start()].count("\n")
            self.found.append((start, text))

    def handle_entityref(self, name: str) -> None:
        self.handle_data(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.handle_data(f"&#{name};")


def unmarked_in(source: str, *, plain_text: bool = False) -> list[tuple[int, str]]:
    """(line, text) for each piece of visible, unmarked text in a template's source."""
    masked = _masked(source)
    if plain_text:
        return [
            (number, text)
            for number, line in enumerate(masked.splitlines(), start=1)
            if (text := _visible(line))
        ]
    finder = _Finder()
    finder.feed(masked)
    finder.close()
    return finder.found


def template_files(entries: tuple[str, ...] = TRANSLATED_TEMPLATES) -> list[Path]:
    root = Path(settings.BASE_DIR)
    files: list[Path] = []
    for entry in entries:
        path = root / entry
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in TEMPLATE_SUFFIXES)
        else:
            files.append(path)
    return files


def unmarked_strings(entries: tuple[str, ...] = TRANSLATED_TEMPLATES) -> list[Unmarked]:
    """Every unmarked string in the listed templates; a listed path that is missing is one too."""
    root = Path(settings.BASE_DIR)
    problems = []
    for path in template_files(entries):
        shown = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        if not path.is_file():
            problems.append(Unmarked(shown, 0, "(listed in TRANSLATED_TEMPLATES, not found)"))
            continue
        source = path.read_text(encoding="utf-8")
        for line, text in unmarked_in(source, plain_text=path.suffix == ".txt"):
            problems.append(Unmarked(shown, line, text))
    return problems
