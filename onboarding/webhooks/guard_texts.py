"""The URL guard's refusals in the reader's language (issue 20).

guard.py writes its refusals in English: they are stored in the delivery log (an attempt's
`error`) and read by admins and tools as written. A page shows them through `guard_text`,
which knows each refusal by its English shape (the refusal's code) and words it in the active
language; any other text (a connection error, a refusal stored by an older guard) is shown as
stored, and English is always the stored text itself.
"""

import re

from django.utils.translation import get_language, gettext, gettext_lazy

PROBLEMS = {
    "a loopback address": gettext_lazy("a loopback address"),
    "an unspecified address": gettext_lazy("an unspecified address"),
    "a link-local (cloud metadata) address": gettext_lazy("a link-local (cloud metadata) address"),
    "a multicast address": gettext_lazy("a multicast address"),
    "a reserved address": gettext_lazy("a reserved address"),
    "a private network address": gettext_lazy("a private network address"),
    "an address that is not on the public internet": gettext_lazy(
        "an address that is not on the public internet"
    ),
}

FIXED = {
    "Enter a valid URL.": gettext_lazy("Enter a valid URL."),
    "The URL must start with https://.": gettext_lazy("The URL must start with https://."),
    "The URL must not hold a user name or password.": gettext_lazy(
        "The URL must not hold a user name or password."
    ),
    "The URL has no host.": gettext_lazy("The URL has no host."),
}

_METADATA = re.compile(r"^(?P<host>\S+) is a cloud metadata service\.$")
_UNRESOLVED = re.compile(r"^(?P<host>\S+) does not resolve to any address\.$")
_RESOLVES = re.compile(r"^(?P<host>\S+) resolves to (?P<address>\S+), (?P<problem>.+): refused\.$")


def guard_text(text: str) -> str:
    """A stored guard refusal in the active language; any other text as stored."""
    if not text or (get_language() or "en").split("-")[0] == "en":
        return text
    if text in FIXED:
        return str(FIXED[text])
    if match := _METADATA.match(text):
        return gettext("%(host)s is a cloud metadata service.") % match.groupdict()
    if match := _UNRESOLVED.match(text):
        return gettext("%(host)s does not resolve to any address.") % match.groupdict()
    if (match := _RESOLVES.match(text)) and match["problem"] in PROBLEMS:
        return gettext("%(host)s resolves to %(address)s, %(problem)s: refused.") % {
            "host": match["host"],
            "address": match["address"],
            "problem": PROBLEMS[match["problem"]],
        }
    return text
