"""Every static file names only files that are shipped: the manifest storage production uses
(collectstatic with ONBOARDING_ENV=production) fails on a source map or url() it cannot find,
and then every page answers 500. tests/system/test_production_path.py runs that collectstatic."""

import re
from pathlib import Path
from urllib.parse import urlsplit

from tests.core.childproc import ROOT

STATIC = ROOT / "static"
# The references Django's ManifestStaticFilesStorage rewrites, and so must find.
SOURCE_MAP = re.compile(rb"(?m)^\s*(?://|/\*)\s*[#@]\s*sourceMappingURL=\s*(?P<url>[^\s*]+)")
CSS_URL = re.compile(rb"""url\(\s*(?P<quote>['"]?)(?P<url>[^'")\s]+)(?P=quote)\s*\)""")
CSS_IMPORT = re.compile(rb"""@import\s*(?P<quote>['"])(?P<url>[^'"]+)(?P=quote)""")


def static_files() -> list[Path]:
    return sorted(path for path in STATIC.rglob("*") if path.is_file())


def referenced_file(source: Path, url: str) -> Path | None:
    """The file under static/ that `url`, written in `source`, points at; None for references
    that are not files of ours (data: URIs, other origins, fragments)."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith("#") or not parts.path:
        return None
    if parts.path.startswith("/static/"):
        return STATIC / parts.path.removeprefix("/static/")
    return (source.parent / parts.path).resolve()


def references(path: Path) -> list[str]:
    content = path.read_bytes()
    found = (
        [m["url"] for m in SOURCE_MAP.finditer(content)] if path.suffix in {".js", ".css"} else []
    )
    if path.suffix == ".css":
        found += [m["url"] for m in CSS_URL.finditer(content)]
        found += [m["url"] for m in CSS_IMPORT.finditer(content)]
    return [url.decode() for url in found]


def test_the_static_tree_has_javascript_and_css_to_check():
    suffixes = {path.suffix for path in static_files()}
    assert {".js", ".css"} <= suffixes


def test_no_static_file_names_a_source_map_or_url_that_is_not_shipped():
    dangling = []
    for path in static_files():
        for url in references(path):
            target = referenced_file(path, url)
            if target is not None and not target.is_file():
                dangling.append(f"{path.relative_to(ROOT)} -> {url}")
    assert dangling == [], "ship these files or remove the references: " + ", ".join(dangling)


def test_the_check_finds_a_source_map_comment_and_a_missing_css_url(tmp_path):
    # The scanner itself is sharp: the shapes vendored files use are recognised.
    script = tmp_path / "lib.min.js"
    script.write_bytes(b"var a=1;\n//# sourceMappingURL=lib.min.js.map\n")
    style = tmp_path / "lib.css"
    style.write_bytes(b'/*# sourceMappingURL=lib.css.map */\na{background:url("img/x.png")}')
    assert references(script) == ["lib.min.js.map"]
    assert references(style) == ["lib.css.map", "img/x.png"]
    assert referenced_file(style, "data:image/png;base64,AAAA") is None
