"""The translation catalogues in locale/ (docs/i18n.md): compiled with Babel, checked for lint.

Django's compilemessages and makemessages need GNU gettext (msgfmt, xgettext), which the
project does not ask for; Babel, already a dependency, does both jobs here in pure Python:

- compile: every locale/<lang>/LC_MESSAGES/django.po to its .mo (build output, not committed).
- extract: every string marked for translation in the project's templates ({% translate %},
  {% blocktranslate %}, via Django's own templatize) and Python (gettext, gettext_lazy, _,
  pgettext, ngettext...), as makemessages would find them.
- check: each non-English catalogue holds every extracted string, translated and not fuzzy,
  and nothing that is no longer used.
"""

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.extract import extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils.translation.template import templatize

DOMAIN = "django"
# Where makemessages would look: the project's code and templates, not its tests or tools.
SOURCE_DIRS = ("onboarding", "templates", "config")
TEMPLATE_SUFFIXES = (".html", ".txt")
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}
# Python files that only talk about gettext (this module) are not sources of strings.
SKIP_FILES = {"onboarding/core/catalogues.py"}


@dataclass(frozen=True, order=True)
class MessageKey:
    context: str
    msgid: str


def base_dir() -> Path:
    return Path(settings.BASE_DIR)


def catalogue_path(language: str) -> Path:
    return Path(settings.LOCALE_PATHS[0]) / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def translated_languages() -> list[str]:
    """The languages with a catalogue: all but the source language (English)."""
    return [code for code, _name in settings.LANGUAGES if code != "en"]


def compile_catalogues() -> list[Path]:
    """Write each catalogue's .mo next to it when it is missing or older than its .po."""
    written = []
    for po in sorted(Path(settings.LOCALE_PATHS[0]).glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalogue = read_po(source, locale=po.parent.parent.name)
        buffer = io.BytesIO()
        write_mo(buffer, catalogue, use_fuzzy=False)
        tmp = mo.with_suffix(".mo.tmp")
        tmp.write_bytes(buffer.getvalue())
        tmp.replace(mo)
        written.append(mo)
    return written


def _source_files() -> Iterator[Path]:
    root = base_dir()
    for folder in SOURCE_DIRS:
        for path in sorted((root / folder).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            if str(path.relative_to(root)) in SKIP_FILES:
                continue
            if path.suffix == ".py" or (
                path.suffix in TEMPLATE_SUFFIXES and "templates" in path.parts
            ):
                yield path


def _messages_in(path: Path) -> Iterable[tuple]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        if "gettext" not in text and "_(" not in text:
            return []
        source = text
    else:
        if "{% trans" not in text and "{% blocktrans" not in text:
            return []
        # templatize writes each string with repr() (one line) and blanks out the rest, so
        # lines can lose their indentation, which Python's tokenizer would otherwise trip on.
        source = "\n".join(
            line.lstrip() for line in templatize(text, origin=str(path)).splitlines()
        )
    return list(
        extract(
            "python", io.BytesIO(source.encode("utf-8")), keywords=KEYWORDS, strip_comment_tags=True
        )
    )


def extracted_messages() -> dict[MessageKey, set[str]]:
    """Every marked string in the sources, with the files it is in."""
    found: dict[MessageKey, set[str]] = {}
    root = base_dir()
    for path in _source_files():
        for _lineno, message, _comments, context in _messages_in(path):
            msgid = message[0] if isinstance(message, tuple) else message
            if not msgid:
                continue
            key = MessageKey(context or "", msgid)
            found.setdefault(key, set()).add(str(path.relative_to(root)))
    return found


def catalogue_problems(language: str, expected: dict[MessageKey, set[str]]) -> list[str]:
    """What is wrong with one language's catalogue; empty when it is complete and current."""
    path = catalogue_path(language)
    if not path.exists():
        return [f"{path}: missing (run `manage.py makemessages -l {language}` and translate it)"]
    with path.open("rb") as source:
        catalogue = read_po(source, locale=language)
    problems = []
    present = set()
    for message in catalogue:
        if not message.id:
            continue  # the header
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        key = MessageKey(message.context or "", msgid)
        present.add(key)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"{path}: fuzzy: {msgid!r}")
        elif not all(strings):
            problems.append(f"{path}: untranslated: {msgid!r}")
        if key not in expected:
            problems.append(f"{path}: no longer used in the sources: {msgid!r}")
    for message in catalogue.obsolete.values():
        problems.append(f"{path}: obsolete entry (#~), remove it: {message.id!r}")
    for key in sorted(set(expected) - present):
        where = ", ".join(sorted(expected[key]))
        problems.append(f"{path}: missing: {key.msgid!r} (marked in {where})")
    return problems
