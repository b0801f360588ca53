"""The one check for every `next` in the product: where a person is sent after a form or sign-in.

A `next` comes from the address bar, so anyone can write one into a link. It is followed only when
it is a path on this site; anything a browser could read as another site (a scheme, `//host`, a
backslash, which browsers read as a slash, or a control character, which they drop) is ignored and
the caller's default is used instead.
"""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

NEXT_FIELD = "next"
MAX_LENGTH = 2000  # longer than any path of ours with its query; a longer one is not ours


def _looks_local(candidate: str) -> bool:
    if not candidate.startswith("/") or candidate.startswith("//") or len(candidate) > MAX_LENGTH:
        return False
    # Browsers read "\" as "/" and drop tabs and newlines, so "/\evil" and "/\t/evil" are "//evil".
    return "\\" not in candidate and not any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in candidate)


def safe_next_url(request: HttpRequest, candidate: str | None, default: str = "") -> str:
    """`candidate` if it is a path on this site, else `default`."""
    candidate = candidate or ""
    if _looks_local(candidate) and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def requested_next_url(request: HttpRequest, default: str = "") -> str:
    """The request's own `next` (the form's first, then the address's), checked as above."""
    candidate = request.POST.get(NEXT_FIELD) or request.GET.get(NEXT_FIELD)
    return safe_next_url(request, candidate, default)
