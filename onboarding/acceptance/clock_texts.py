"""A next-action clock's stop reason in the reader's language (issue 20).

clocks.review_clocks_end (and acceptance migration 0002) record why a clock stopped in English,
"contract CTR-2026-000401 cancelled: no next action is owed", on the clock and in its audit
entry, which stay as written. The contract page words it for its reader from that shape (the
contract's number and how it ended); any other text is shown as recorded, and English is the
recorded text itself.
"""

import re

from django.utils.translation import get_language, gettext_lazy

_ENDED = re.compile(r"^contract (?P<contract>\S+) (?P<state>\w+): no next action is owed$")

ENDED_WORDS = {
    "expired": gettext_lazy("contract %(contract)s expired: no next action is owed"),
    "renewed": gettext_lazy("contract %(contract)s renewed: no next action is owed"),
    "cancelled": gettext_lazy("contract %(contract)s cancelled: no next action is owed"),
}


def stop_reason_shown(text: str) -> str:
    if not text or (get_language() or "en").split("-")[0] == "en":
        return text
    match = _ENDED.match(text)
    if match is None or match["state"] not in ENDED_WORDS:
        return text
    return str(ENDED_WORDS[match["state"]]) % {"contract": match["contract"]}
